"""Synthetic resumes with a skewed hiring history: the 2018 recruiting-tool failure.

The generative story (documented in ``docs/resumes.md``):

1. Gender is drawn with ``women_share``; race/ethnicity and the year of
   application independently.  A latent ``qualification`` ~ N(0, 1) is drawn
   **independently of all three**: by construction the groups are equally
   qualified.
2. The resume reflects qualification honestly and in the same way for
   everybody: more skills, more years of experience, more senior titles, a
   master's degree and awards for higher qualification.
3. Gender leaks into the text only through planted proxies, each a *slot*
   that everybody fills at the same rate, so that only the proxy token itself
   differs by gender: a "women's" (or "men's") prefix on a team activity,
   three all-women's colleges inside the "college" slot, sorority/fraternity
   inside the "organisation" slot, volleyball/football and
   softball/baseball inside two "sport" slots, and the verbs of the first
   two bullets ("executed", "captured").  ``proxy_strength = 0`` makes the
   text independent of gender.
4. The historical decision ``hired`` takes the top ``base_rate`` of
   ``skill_weight * qualification - history_bias * is_woman + noise``
   (logistic noise): ``history_bias = 0`` is a fair history.
5. ``qualified`` (would succeed in the job) depends on qualification only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._core._errors import input_error
from adverse_impact._core._params import Flag, Interval, validate_params

_SHARE = Interval(float, 0, 1, "neither", "women_share=0.25")
#: A strength: 0 turns the mechanism off.
_STRENGTH = Interval(float, 0, None, "both", "history_bias=1.5 (0 turns it off)")

__all__ = ["ResumeGroundTruth", "make_resumes", "planted_proxies"]

# -- vocabularies (fixed: the same for every random_state) ------------------------
# Every word below is gender-neutral on purpose, and no ground-truth token
# (women's, men's, sorority, fraternity, wellesley, smith, bryn, mawr,
# volleyball, football, softball, baseball, executed, captured) occurs
# anywhere except in its own slot: tests/datasets/test_resumes.py checks the rates.

_SKILLS = (
    "python java sql javascript typescript go rust scala kotlin swift c++ c# r matlab julia "
    "spark hadoop kafka airflow dbt snowflake redshift bigquery postgres mysql mongodb redis "
    "cassandra elasticsearch docker kubernetes terraform ansible jenkins git linux bash aws "
    "azure gcp react angular vue django flask fastapi spring node graphql rest grpc pandas "
    "numpy scikit-learn pytorch tensorflow keras xgboost statistics forecasting "
    "optimization nlp computer-vision recommender-systems a/b-testing experimentation "
    "microservices distributed-systems networking security cryptography compilers embedded "
    "fpga verilog robotics simulation cuda etl data-modeling tableau looker excel"
).split()
_MAJORS = [
    "Computer Science",
    "Mathematics",
    "Statistics",
    "Electrical Engineering",
    "Physics",
    "Economics",
    "Information Systems",
    "Mechanical Engineering",
    "Data Science",
    "Computer Engineering",
    "Operations Research",
    "Cognitive Science",
]
_PLACES = (
    "Ashford Brookline Carver Dalton Easton Fairview Glenwood Harlow Irvington Jasper "
    "Kingsley Lakewood Milford Newport Oakdale Preston Quincy Riverton Salem Trenton "
    "Union Valley Westbrook Yardley Zenith Northfield Southgate Eastwood Westfield "
    "Clearwater Ashland Bayside Crestview Dover Elmhurst Foxborough Greenville Hartwell "
    "Lexford Montclair"
).split()
#: Co-ed institutions by type.  The type is drawn with the same shares for
#: everybody; the all-women's colleges live inside the "College" type, so the
#: words "college", "university", "state" have the same rates by gender.
_COLLEGE_TYPES = (
    ([f"{p} State University" for p in _PLACES[:30]], 0.40),
    ([f"University of {p}" for p in _PLACES[:20]], 0.20),
    ([f"{p} Institute of Technology" for p in _PLACES[30:]], 0.10),
    ([f"{p} College" for p in _PLACES], 0.30),
)
#: Real all-women's colleges.  The reporting says the model downgraded
#: graduates of two all-women's colleges without naming them; these three are
#: examples of the kind.
_WOMENS_COLLEGES = ["Wellesley College", "Smith College", "Bryn Mawr College"]
_COMPANY_HEAD = (
    "Acme Apex Blue Bright Cedar Cobalt Delta Echo Ember Falcon Granite Harbor "
    "Helix Indigo Iron Juniper Keystone Lumen Maple Meridian Nimbus Nova Onyx "
    "Orbit Pioneer Quartz Redwood Sierra Summit Tidal Vertex Willow"
).split()
_COMPANY_TAIL = (
    "Labs Systems Analytics Software Networks Dynamics Robotics Data Logistics "
    "Health Financial Energy Media Retail Bio Cloud Security Mobility"
).split()
_ROLES = [
    "Software Engineer",
    "Data Analyst",
    "Data Engineer",
    "Backend Developer",
    "Machine Learning Engineer",
    "Research Assistant",
    "QA Engineer",
    "DevOps Engineer",
    "Business Analyst",
    "Full-Stack Developer",
    "Product Analyst",
    "Systems Engineer",
]
_SENIORITY = ["Intern", "Junior", "", "Senior", "Staff", "Principal"]
#: Many neutral verbs, so that the few bullets a style verb takes from them
#: (more often on men's resumes) shift each one's rate by a negligible amount.
_VERBS = (
    "built designed developed implemented maintained improved automated analyzed "
    "migrated optimized tested deployed documented refactored integrated launched "
    "reduced streamlined modeled monitored scaled benchmarked prototyped debugged "
    "rewrote upgraded configured profiled containerized instrumented validated "
    "simplified audited evaluated trained tuned packaged released shipped ported "
    "authored reviewed scoped estimated planned standardized consolidated "
    "accelerated hardened secured patched parallelized cached indexed visualized "
    "queried cleaned labeled annotated surveyed interviewed presented"
).split()
#: Style verbs: the reporting says the model favoured verbs such as
#: "executed" and "captured", more common on men's resumes.  Each may replace
#: the verb of one bullet (the first and the second); the bullet's object is
#: drawn as usual, so the words around the verb stay neutral.
_STYLE_VERBS = ["executed", "captured"]
_OBJECTS = [
    "a data pipeline",
    "the billing service",
    "an internal dashboard",
    "a recommendation model",
    "the search backend",
    "a reporting tool",
    "the payments api",
    "a fraud detection model",
    "the mobile app backend",
    "a forecasting system",
    "the test suite",
    "a customer analytics platform",
    "an inventory service",
    "the deployment process",
    "a monitoring stack",
    "the onboarding flow",
    "a pricing engine",
    "the data warehouse",
    "a chat assistant",
    "the release calendar",
]
#: Team activities take a "women's"/"men's" prefix; the others never do.
_TEAM_ACTIVITIES = [
    "chess club captain",
    "coding society member",
    "soccer team captain",
    "debate society president",
    "robotics league member",
    "rowing team member",
    "hackathon team lead",
    "quiz bowl team member",
    "ultimate frisbee team captain",
    "engineering society member",
]
_OTHER_ACTIVITIES = ["volunteer tutor", "student newspaper editor"]
_ORGANISATIONS = [
    "student council treasurer",
    "honor society treasurer",
    "engineering society treasurer",
    "alumni association treasurer",
]
#: Two sport slots, each with a gendered pair (women's share first) among
#: neutral sports of its own, so a resume never lists the same sport twice.
_SPORT_SLOTS = (
    (["running", "tennis", "swimming", "cycling"], ("volleyball", "football")),
    (["climbing", "hiking", "basketball", "badminton"], ("softball", "baseball")),
)
_AWARDS = [
    "dean's list",
    "hackathon winner",
    "best paper award",
    "graduate fellowship",
    "employee of the year",
    "patent holder",
]
_SYLLABLES = (
    "ka lo mi ne ru ta vi so pe zu ba de fi go hu ja ke li mo nu pa qui ra se ti vo wa xe yo za"
).split()

# -- slot probabilities, identical by gender ------------------------------------
_P_ACTIVITY = 0.9  # has an activity; 10 of the 12 are team activities
_P_ORGANISATION = 0.25  # holds an office in a student organisation
_P_SPORT = 0.7  # fills a sport slot (each of the two, independently)
_P_VB_PAIR = 0.45  # the slot's gendered pair, given a sport (50/50 at strength 0)
_P_COLLEGE_TYPE = _COLLEGE_TYPES[3][1]


def _pseudo_words(count: int) -> list[str]:
    """A fixed list of distinct invented words (internal tools, project code names)."""
    rng = np.random.default_rng(20181010)  # fixed: vocabulary does not depend on random_state
    words: dict[str, None] = {}
    while len(words) < count:
        k = rng.integers(2, 4)
        words["".join(rng.choice(_SYLLABLES, size=k))] = None
    return list(words)


_FILLER = _pseudo_words(4000)


@dataclasses.dataclass(frozen=True, slots=True)
class ProxySpec:
    """One planted proxy token: its kind and designed per-resume rates by gender."""

    token: str
    kind: str
    rate_women: float
    rate_men: float


@dataclasses.dataclass(frozen=True, slots=True)
class ResumeGroundTruth:
    """What :func:`make_resumes` planted, for checking proxy tools against.

    Attributes
    ----------
    proxy_tokens : dict
        Token (lower case, :data:`adverse_impact.TOKEN_PATTERN`) to
        ``{"kind", "rate_women", "rate_men"}``: the designed share of women's
        and of men's resumes that contain the token.  ``kind`` is one of
        "explicit", "college", "activity" or "verb".  Every token whose
        designed rate differs by gender is listed; the same 14 tokens are
        listed at every strength (with equal rates at ``proxy_strength=0``).
    params : dict
        The arguments used.

    Examples
    --------
    >>> from adverse_impact.datasets import make_resumes
    >>> truth = make_resumes(100, random_state=0).attrs["ground_truth"]
    >>> truth.to_frame().head(3)
           token      kind  rate_women  rate_men
    0    women's  explicit        0.60    0.0000
    1      men's  explicit        0.00    0.1125
    2  wellesley   college        0.06    0.0000
    """

    proxy_tokens: dict[str, dict[str, Any]]
    params: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        """One row per planted token: token, kind, rate_women, rate_men."""
        rows = [{"token": token, **spec} for token, spec in self.proxy_tokens.items()]
        return pd.DataFrame(rows, columns=["token", "kind", "rate_women", "rate_men"])


def _slot_probabilities(proxy_strength: float, style_strength: float) -> dict[str, float]:
    """Conditional probabilities inside each slot (gap scaled by strength, capped)."""
    s, v = proxy_strength, min(style_strength * proxy_strength, 1.5)
    return {
        "womens_prefix": min(1.0, 0.8 * s),  # woman with a team activity writes women's
        "mens_prefix": min(1.0, 0.15 * s),  # man with a team activity writes men's
        "womens_college": min(1.0, 0.6 * s),  # woman in the College type: a women's college
        "greek": min(1.0, 0.5 * s),  # officer writes sorority/fraternity
        "vb_gap": 0.5 * min(1.0, 0.5 * s),  # volleyball share among the pair: 0.5 +/- gap
        "style_gap": 0.2 * v,  # executed, captured: 0.3 +/- gap each
    }


def planted_proxies(proxy_strength: float = 1.0, style_strength: float = 1.0) -> list[ProxySpec]:
    """The planted proxy tokens and their designed per-resume rates by gender.

    Examples
    --------
    >>> from adverse_impact.datasets._resumes import planted_proxies
    >>> planted_proxies()[0]
    ProxySpec(token="women's", kind='explicit', rate_women=0.6, rate_men=0.0)
    """
    p = _slot_probabilities(proxy_strength, style_strength)
    team = _P_ACTIVITY * len(_TEAM_ACTIVITIES) / (len(_TEAM_ACTIVITIES) + len(_OTHER_ACTIVITIES))
    college = _P_COLLEGE_TYPE * p["womens_college"] / len(_WOMENS_COLLEGES)
    greek = _P_ORGANISATION * p["greek"]
    vb_w = _P_SPORT * _P_VB_PAIR * (0.5 + p["vb_gap"])
    vb_m = _P_SPORT * _P_VB_PAIR * (0.5 - p["vb_gap"])
    sports = [
        ProxySpec(token, "activity", *rates)
        for _, pair in _SPORT_SLOTS
        for token, rates in zip(pair, ((vb_w, vb_m), (vb_m, vb_w)))
    ]
    style_m, style_w = 0.3 + p["style_gap"], 0.3 - p["style_gap"]
    specs = [
        ProxySpec("women's", "explicit", team * p["womens_prefix"], 0.0),
        ProxySpec("men's", "explicit", 0.0, team * p["mens_prefix"]),
        ProxySpec("wellesley", "college", college, 0.0),
        ProxySpec("smith", "college", college, 0.0),
        ProxySpec("bryn", "college", college, 0.0),
        ProxySpec("mawr", "college", college, 0.0),
        ProxySpec("sorority", "activity", greek, 0.0),
        ProxySpec("fraternity", "activity", 0.0, greek),
        *sports,
        ProxySpec("executed", "verb", style_w, style_m),
        ProxySpec("captured", "verb", style_w, style_m),
    ]
    return [
        dataclasses.replace(sp, rate_women=round(sp.rate_women, 6), rate_men=round(sp.rate_men, 6))
        for sp in specs
    ]


#: Technologies most candidates stopped listing decades ago: a trace of age.  None of
#: these words occurs anywhere else in a resume.
_DATED_TECH = [
    "cobol",
    "fortran",
    "pascal",
    "delphi",
    "foxpro",
    "lotus-notes",
    "visual-basic",
    "perl",
    "mainframe",
    "as400",
]
#: The year the resumes are written in (graduation years count back from it).
_RESUME_YEAR = 2026

_RACES = ["White", "Asian", "Hispanic or Latino", "Black or African American", "Two or More Races"]
#: Roughly the make-up of a US technical applicant pool (an assumption of the
#: generator, not a published figure); race is independent of everything else.
_RACE_SHARES = [0.52, 0.22, 0.13, 0.10, 0.03]


def _is_number(value: Any) -> bool:
    return (
        not isinstance(value, bool)
        and isinstance(value, (int, float, np.integer, np.floating))
        and bool(np.isfinite(value))
    )


def _objects(items: list[str]) -> np.ndarray:
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _join(parts: np.ndarray, counts: np.ndarray, sep: str) -> np.ndarray:
    """Join consecutive runs of strings (every count >= 1) with ``sep``, vectorised."""
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    joined = np.add.reduceat(parts + sep, starts)
    k = len(sep)
    return _objects([text[:-k] for text in joined]) if k else joined


def _grouped(
    rng: np.random.Generator, counts: np.ndarray, size: int, weights: np.ndarray | None = None
) -> np.ndarray:
    return rng.choice(size, size=int(counts.sum()), p=weights)


#: The name lists' race codes for the generator's categories (two or more
#: races: any of the four, at random).
_NAME_RACE = ["W", "A", "H", "B", None]


def _names(rng: np.random.Generator, woman: np.ndarray, races: np.ndarray) -> np.ndarray:
    """A name per applicant from the 100 of their sex x race cell."""
    from adverse_impact.datasets._llm_rankings import load_names

    table = load_names()
    codes = np.array([_NAME_RACE[r] or "" for r in races], dtype=object)
    mixed = codes == ""
    codes[mixed] = np.array(["A", "B", "H", "W"], dtype=object)[rng.integers(0, 4, mixed.sum())]
    sex = np.where(woman, "W", "M")
    out = np.empty(len(woman), dtype=object)
    draw = rng.random(len(woman))
    for (code, s), cell in table.groupby(["race", "sex"]):
        rows = (codes == code) & (sex == s)
        pool = cell["name"].to_numpy(dtype=object)
        out[rows] = pool[(draw[rows] * len(pool)).astype(int)]
    return out


@validate_params(
    women_share=_SHARE,
    base_rate=_SHARE,
    history_bias=_STRENGTH,
    proxy_strength=_STRENGTH,
    style_strength=_STRENGTH,
    skill_weight=_STRENGTH,
    age_bias=_STRENGTH,
    race=Flag(),
    names=Flag(),
    age=Flag(),
)
def make_resumes(
    n_samples: int = 10_000,
    *,
    women_share: float = 0.25,
    history_bias: float = 1.5,
    proxy_strength: float = 1.0,
    style_strength: float = 1.0,
    skill_weight: float = 1.5,
    base_rate: float = 0.3,
    race: bool = True,
    names: bool = False,
    age: bool = False,
    age_bias: float = 0.0,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Synthetic applicants with resumes and a hiring history skewed against women.

    Reproduces, on synthetic data with ground truth, the failure reported of
    a recruiting model trained on ten years of male-dominated hiring
    history: it learned to penalise resumes containing "women's" and
    graduates of two all-women's colleges, and to favour verbs such as
    "executed" and "captured" [1]_.  Gender is never written in a resume; it
    leaks only through the planted proxies listed in
    ``df.attrs["proxy_tokens"]``.

    Parameters
    ----------
    n_samples : int, default 10,000
        Applicants (rows).
    women_share : float, default 0.25
        Share of women in the applicant pool (the original pool was mostly men).
    history_bias : float, default 1.5
        Penalty against women in the historical decisions, on the scale of
        the decision's logistic noise; 0 gives a fair history in which hiring
        depends on qualification only.
    proxy_strength : float, default 1.0
        Scales how often gender shows through a proxy: the "women's"/"men's"
        prefix, the all-women's colleges, sorority/fraternity, the
        volleyball/football and softball/baseball splits and the style verbs.  Rates saturate (each
        probability is capped at 1); 0 makes the text independent of gender.
    style_strength : float, default 1.0
        Extra scale for the style verbs alone ("executed", "captured"): each
        is on ``0.3 + 0.2 v`` of men's resumes and ``0.3 - 0.2 v`` of women's,
        with ``v = min(style_strength * proxy_strength, 1.5)``.
    skill_weight : float, default 1.5
        Weight of qualification in the historical decisions.
    base_rate : float, default 0.3
        Share of applicants hired in the history, in (0, 1).
    race : bool, default True
        Add a ``race`` column (five categories, independent of everything
        else), so that intersectional audits have categories to report.
    names : bool, default False
        Write a name on the first line of each resume, and add a ``name``
        column: a name distinctive of the applicant's sex and race, drawn
        uniformly from the 100 names of that cell in
        :func:`adverse_impact.datasets.load_names` (applicants of two or more
        races draw one of the four cells at random).  First names then mark
        gender, and last names race, as they do on real resumes.  Names are
        drawn after everything else, so the rest of the frame is the same as
        with ``names=False`` for the same seed.
    age : bool, default False
        Add an ``age`` column (22 to 65, independent of gender, race and
        qualification) and its traces in the text: a graduation year, the
        year the career started with its length, and dated technologies
        (COBOL, Fortran, ...) listed more often the older the applicant.  The
        age draws come from a child of the seed, so every other column is
        the same as with ``age=False``.
    age_bias : float, default 0.0
        With ``age=True``, a penalty against older applicants in the
        historical decision: ``age_bias * max(0, (age - 40) / 10)`` is
        subtracted from the decision score (on the scale of its logistic
        noise), so it starts at 40 and grows by decade.
    random_state : int, Generator or None
        Seed; the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame
        One applicant per row, columns ``resume`` (str), ``gender``
        ("female"/"male"), ``race`` (if requested), ``year`` (1-10, the "ten
        years" of history), ``qualification`` (latent, N(0, 1)),
        ``qualified`` (bool ground truth: would succeed in the job) and
        ``hired`` (bool, the historical decision).  ``df.attrs`` holds the
        ground truth: ``"proxy_tokens"`` (dict token -> kind, rate_women,
        rate_men), ``"ground_truth"`` (a :class:`ResumeGroundTruth`),
        and ``"params"`` (the arguments).  ``df.attrs["ground_truth"].to_frame()``
        gives the planted tokens as a table.

    See Also
    --------
    adverse_impact.token_proxies : finds the tokens that stand for gender.
    adverse_impact.case_study.recruiting_tool : the case study built on it.

    Notes
    -----
    Qualification is independent of gender by construction, so any gap in
    the selection rates of *qualified* applicants is bias, not merit.  Tokens
    follow :data:`adverse_impact.TOKEN_PATTERN`, under which "women's" is one
    token.  The full design and its defaults are in ``docs/resumes.md``.

    References
    ----------
    .. [1] Dastin, J. (2018, October 10). Amazon scraps secret AI recruiting
       tool that showed bias against women. *Reuters*.

    Examples
    --------
    >>> from adverse_impact.datasets import make_resumes
    >>> df = make_resumes(2_000, random_state=0)
    >>> df.shape
    (2000, 7)
    >>> list(df.columns)
    ['resume', 'gender', 'race', 'year', 'qualification', 'qualified', 'hired']
    >>> rates = df.groupby("gender")["hired"].mean()
    >>> bool(rates["female"] / rates["male"] < 0.8)
    True
    >>> df.attrs["proxy_tokens"]["women's"]
    {'kind': 'explicit', 'rate_women': 0.6, 'rate_men': 0.0}
    >>> make_resumes(2_000, proxy_strength=0, random_state=0).attrs["proxy_tokens"]["women's"]
    {'kind': 'explicit', 'rate_women': 0.0, 'rate_men': 0.0}
    """
    n = int(n_samples)
    women_share, base_rate = float(women_share), float(base_rate)
    history_bias, proxy_strength = float(history_bias), float(proxy_strength)
    style_strength, skill_weight = float(style_strength), float(skill_weight)
    age_bias, age, race, names = float(age_bias), bool(age), bool(race), bool(names)
    if age_bias and not age:
        raise input_error("age_bias", "needs age=True", "Pass age=True with age_bias=")
    rng = np.random.default_rng(random_state)
    # Spawning does not advance rng: every column but the age ones is unchanged by age=True.
    age_rng = rng.spawn(1)[0] if age else None
    p = _slot_probabilities(proxy_strength, style_strength)

    # -- who: gender, race, year, qualification (independent) --------------------
    woman = rng.random(n) < women_share
    races = rng.choice(len(_RACES), size=n, p=_RACE_SHARES)
    year = rng.integers(1, 11, size=n)
    qualification = rng.standard_normal(n)
    qualified = qualification + 0.5 * rng.standard_normal(n) > 0.5

    # -- the text, section by section; the order of the calls is the order of the
    # draws from rng, which every seeded frame depends on -------------------------
    resumes = _education(rng, woman, qualification, p)
    resumes = resumes + _activities(rng, woman, p)
    resumes = resumes + _skills_and_experience(rng, qualification)
    resumes = resumes + _jobs(rng, woman, qualification, p)
    resumes = resumes + _filler(rng, n)
    if age:
        ages, traces = _age_traces(age_rng, n)
        resumes = resumes + traces

    # -- the historical decision: skewed by history_bias -------------------------
    latent = skill_weight * qualification - history_bias * woman + rng.logistic(size=n)
    if age:
        latent = latent - age_bias * np.clip((ages - 40) / 10, 0, None)
    hired = latent > np.quantile(latent, 1 - base_rate)

    frame = pd.DataFrame(
        {"resume": resumes, "gender": np.where(woman, "female", "male").astype(object)}
    )
    if names:
        written = _names(rng, woman, races)
        frame["resume"] = (written + "\n" + frame["resume"]).astype(frame["resume"].dtype)
        frame.insert(1, "name", written)
    if race:
        frame["race"] = _objects(_RACES)[races]
    if age:
        frame["age"] = ages.astype(np.int64)
    frame["year"] = year.astype(np.int64)
    frame["qualification"] = qualification
    frame["qualified"] = qualified
    frame["hired"] = hired
    params = {
        "n_samples": n,
        "women_share": women_share,
        "history_bias": history_bias,
        "proxy_strength": proxy_strength,
        "style_strength": style_strength,
        "skill_weight": skill_weight,
        "base_rate": base_rate,
        "race": race,
        "names": names,
        **({"age": True, "age_bias": age_bias} if age else {}),
        "random_state": _seed_param(random_state),
    }
    _attach_ground_truth(frame, planted_proxies(proxy_strength, style_strength), params)
    return frame


def _seed_param(random_state: int | np.random.Generator | None) -> int | str | None:
    """The seed as recorded in ``params``: JSON-friendly, a Generator only named."""
    if isinstance(random_state, (int, np.integer)):
        return int(random_state)
    return None if random_state is None else "Generator"


def _education(
    rng: np.random.Generator, woman: np.ndarray, qualification: np.ndarray, p: dict[str, float]
) -> np.ndarray:
    """The education line: type of institution drawn alike for everybody, degree by merit."""
    n = len(woman)
    type_shares = np.array([share for _, share in _COLLEGE_TYPES])
    kind = rng.choice(len(_COLLEGE_TYPES), size=n, p=type_shares)
    colleges = [name for of_type, _ in _COLLEGE_TYPES for name in of_type]
    offsets = np.cumsum([0] + [len(of_type) for of_type, _ in _COLLEGE_TYPES])
    sizes = np.diff(offsets)
    school = offsets[kind] + (rng.random(n) * sizes[kind]).astype(int)
    to_womens = woman & (kind == 3) & (rng.random(n) < p["womens_college"])
    school = np.where(to_womens, len(colleges) + rng.integers(0, len(_WOMENS_COLLEGES), n), school)
    schools = _objects(colleges + _WOMENS_COLLEGES)
    major = rng.integers(0, len(_MAJORS), size=n)
    masters = qualification + 0.7 * rng.standard_normal(n) > 1.2
    degree = np.where(masters, "M.S. in ", "B.S. in ").astype(object)
    return "Education: " + degree + _objects(_MAJORS)[major] + ", " + schools[school] + "\n"


def _activities(rng: np.random.Generator, woman: np.ndarray, p: dict[str, float]) -> np.ndarray:
    """The activities line, or nothing: an activity (team ones prefixed), an office, two sports."""
    n = len(woman)
    n_team, n_other = len(_TEAM_ACTIVITIES), len(_OTHER_ACTIVITIES)
    has_activity = rng.random(n) < _P_ACTIVITY
    activity = rng.integers(0, n_team + n_other, size=n)
    u = rng.random(n)
    team = activity < n_team
    prefix = np.where(
        team & woman & (u < p["womens_prefix"]),
        "women's ",
        np.where(team & ~woman & (u < p["mens_prefix"]), "men's ", ""),
    )
    activity_text = prefix.astype(object) + _objects(_TEAM_ACTIVITIES + _OTHER_ACTIVITIES)[activity]
    has_office = rng.random(n) < _P_ORGANISATION
    office = _objects(_ORGANISATIONS)[rng.integers(0, len(_ORGANISATIONS), size=n)]
    greek = rng.random(n) < p["greek"]
    office = np.where(
        greek, np.where(woman, "sorority treasurer", "fraternity treasurer"), office
    ).astype(object)
    acts = np.where(has_activity, activity_text + "; ", "") + np.where(
        has_office, office + "; ", ""
    )
    womens_share = np.where(woman, 0.5 + p["vb_gap"], 0.5 - p["vb_gap"])
    for neutral, (womens, mens) in _SPORT_SLOTS:
        has_sport = rng.random(n) < _P_SPORT
        sport = _objects(neutral)[rng.integers(0, len(neutral), size=n)]
        in_pair = rng.random(n) < _P_VB_PAIR
        pair = np.where(rng.random(n) < womens_share, womens, mens)
        sport = np.where(in_pair, pair, sport).astype(object)
        acts = acts + np.where(has_sport, sport + "; ", "")
    # Every listed item ends in "; ": the last one's becomes the line's end.
    return _objects([f"Activities: {text[:-2]}\n" if text else "" for text in acts])


def _skills_and_experience(rng: np.random.Generator, qualification: np.ndarray) -> np.ndarray:
    """Skills, awards and years of experience: qualification shows, alike for everybody."""
    n = len(qualification)
    n_skills = 1 + rng.poisson(2 + 2 * np.clip(qualification + 1, 0, None))
    skill_weights = 1 / np.arange(1, len(_SKILLS) + 1) ** 0.6
    skill_weights /= skill_weights.sum()
    rows = np.repeat(np.arange(n), n_skills)
    keys = np.unique(rows * len(_SKILLS) + _grouped(rng, n_skills, len(_SKILLS), skill_weights))
    skill_counts = np.bincount(keys // len(_SKILLS), minlength=n)
    text = "Skills: " + _join(_objects(_SKILLS)[keys % len(_SKILLS)], skill_counts, ", ")
    has_award = rng.random(n) < 1 / (1 + np.exp(-(2 * qualification - 2)))
    award = _objects(_AWARDS)[rng.integers(0, len(_AWARDS), size=n)]
    text = text + np.where(has_award, "\nAwards: " + award, "")
    years = np.clip(np.round(3 + 2 * qualification + 1.5 * rng.standard_normal(n)), 0, 25)
    city = _objects(_PLACES)[rng.integers(0, len(_PLACES), size=n)]
    return (
        text
        + "\nExperience: "
        + years.astype(int).astype(str).astype(object)
        + " years, based in "
        + city
        + "\n"
    )


def _jobs(
    rng: np.random.Generator, woman: np.ndarray, qualification: np.ndarray, p: dict[str, float]
) -> np.ndarray:
    """Jobs and their bullets, seniority by merit; the first bullets' verbs are the style slot."""
    n = len(woman)
    level = np.clip(
        np.round(2 + qualification + 0.8 * rng.standard_normal(n)), 0, len(_SENIORITY) - 1
    ).astype(int)
    n_jobs = rng.integers(1, 4, size=n)
    job_row = np.repeat(np.arange(n), n_jobs)
    n_bullets = rng.integers(2, 4, size=len(job_row))
    n_b = int(n_bullets.sum())
    verbs = _objects(_VERBS)[rng.integers(0, len(_VERBS), size=n_b)]
    # Every first job has at least two bullets: "executed" may take the first
    # bullet's verb, "captured" the second's, each at its own rate by gender.
    first_bullet = np.concatenate([[0], np.cumsum(n_bullets)[:-1]])[
        np.concatenate([[0], np.cumsum(n_jobs)[:-1]])
    ]
    style_rate = np.where(woman, 0.3 - p["style_gap"], 0.3 + p["style_gap"])
    for offset, verb in enumerate(_STYLE_VERBS):
        uses = rng.random(n) < style_rate
        verbs[first_bullet[uses] + offset] = verb
    bullets = "- " + verbs + " " + _objects(_OBJECTS)[rng.integers(0, len(_OBJECTS), size=n_b)]
    company = rng.integers(0, len(_COMPANY_HEAD) * len(_COMPANY_TAIL), size=len(job_row))
    titles = _objects([f"{s} {r}".strip() + ", " for s in _SENIORITY for r in _ROLES])
    companies = _objects([f"{h} {t}\n" for h in _COMPANY_HEAD for t in _COMPANY_TAIL])
    title = titles[level[job_row] * len(_ROLES) + rng.integers(0, len(_ROLES), len(job_row))]
    jobs = title + companies[company] + _join(bullets, n_bullets, "\n")
    return _join(jobs, n_jobs, "\n")


def _filler(rng: np.random.Generator, n: int) -> np.ndarray:
    """The last line: internal tools and project code names (Zipf)."""
    n_filler = rng.integers(10, 26, size=n)
    filler_weights = 1 / np.arange(1, len(_FILLER) + 1) ** 0.9
    filler_weights /= filler_weights.sum()
    filler = _objects(_FILLER)[_grouped(rng, n_filler, len(_FILLER), filler_weights)]
    return "\nTools and interests: " + _join(filler, n_filler, " ")


def _attach_ground_truth(frame: pd.DataFrame, specs: list[ProxySpec], params: dict) -> None:
    """Record the planted tokens and the arguments in ``frame.attrs``."""
    proxy_tokens = {
        sp.token: {"kind": sp.kind, "rate_women": sp.rate_women, "rate_men": sp.rate_men}
        for sp in specs
    }
    truth = ResumeGroundTruth(proxy_tokens=proxy_tokens, params=params)
    frame.attrs["proxy_tokens"] = proxy_tokens
    frame.attrs["ground_truth"] = truth
    # Plain dicts and a frozen dataclass only: pandas compares attrs when it
    # concatenates frames, and a DataFrame there would make that comparison fail.
    frame.attrs["params"] = params


def _age_traces(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Ages 22-65 and the lines that betray them: graduation, career start, dated tools."""
    ages = rng.integers(22, 66, size=n)
    graduated = _RESUME_YEAR - (ages - 22) - rng.integers(0, 2, size=n)
    start = np.minimum(graduated + rng.integers(0, 3, size=n), _RESUME_YEAR)
    text = (
        "\nGraduated: "
        + graduated.astype(str).astype(object)
        + "\nIn the industry since "
        + start.astype(str).astype(object)
        + ", "
        + (_RESUME_YEAR - start).astype(str).astype(object)
        + " years"
    )
    # Dated technologies: none under 35, then more likely with every year.
    has_dated = rng.random(n) < np.clip((ages - 35) / 30, 0, 0.8)
    n_dated = rng.integers(1, 4, size=n)
    picks = [", ".join(rng.choice(_DATED_TECH, size=k, replace=False)) for k in n_dated]
    dated = np.where(has_dated, "\nEarlier systems: " + _objects(picks), "")
    return ages, text + dated
