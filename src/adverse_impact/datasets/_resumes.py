"""Synthetic resumes with a skewed hiring history: the 2018 recruiting-tool failure, with ground truth.

The generative story (documented in ``docs/resumes.md``):

1. Gender is drawn with ``women_share``; race/ethnicity independently.  A
   latent ``qualification`` ~ N(0, 1) is drawn **independently of both**: by
   construction the groups are equally qualified.
2. The resume reflects qualification honestly: more skills, more years of
   experience and more senior roles for higher qualification, with the same
   distribution for everybody.
3. Gender leaks into the text only through proxies whose strength scales
   with ``proxy_strength`` (0 removes every one): explicit "women's"
   activities, two fictional all-women's colleges, gendered sports and
   associations, and style verbs ("executed", "captured") that men use
   somewhat more often, as reported of the original case.
4. The historical decision ``hired`` takes the top ``base_rate`` of
   ``skill_weight * qualification - history_bias * is_woman + noise``:
   ``history_bias = 0`` is a fair history.
5. ``qualified`` (would succeed in the job) depends on qualification only.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd

from adverse_impact._errors import input_error

__all__ = ["ProxySpec", "make_resumes", "planted_proxies"]

# -- vocabularies (fixed: the same for every random_state) ------------------------

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
_MAJORS = ["Computer Science", "Mathematics", "Statistics", "Electrical Engineering",
           "Physics", "Economics", "Information Systems", "Mechanical Engineering",
           "Data Science", "Computer Engineering", "Operations Research", "Cognitive Science"]
_PLACES = ("Ashford Brookline Carver Dalton Easton Fairview Glenwood Harlow Irvington Jasper "
           "Kingsley Lakewood Milford Newport Oakdale Preston Quincy Riverton Salem Trenton "
           "Union Valley Westbrook Yardley Zenith Northfield Southgate Eastwood Westfield "
           "Clearwater").split()
_COLLEGES = ([f"{p} State University" for p in _PLACES]
             + [f"University of {p}" for p in _PLACES[:20]]
             + [f"{p} Institute of Technology" for p in _PLACES[20:]])
#: Fictional all-women's colleges: the original model reportedly downgraded
#: graduates of two all-women's colleges (not named in the reporting).
_WOMENS_COLLEGES = ["Hollis College", "Marlow College"]
_COMPANY_HEAD = ("Acme Apex Blue Bright Cedar Cobalt Delta Echo Ember Falcon Granite Harbor "
                 "Helix Indigo Iron Juniper Keystone Lumen Maple Meridian Nimbus Nova Onyx "
                 "Orbit Pioneer Quartz Redwood Sierra Summit Tidal Vertex Willow").split()
_COMPANY_TAIL = ("Labs Systems Analytics Software Networks Dynamics Robotics Data Logistics "
                 "Health Financial Energy Media Retail Bio Cloud Security Mobility").split()
_ROLES = ["Software Engineer", "Data Analyst", "Data Engineer", "Backend Developer",
          "Machine Learning Engineer", "Research Assistant", "QA Engineer", "DevOps Engineer",
          "Business Analyst", "Full-Stack Developer", "Product Analyst", "Systems Engineer"]
_SENIORITY = ["Intern", "Junior", "", "Senior", "Staff", "Principal"]
_VERBS = ("built designed developed implemented maintained improved automated analyzed "
          "migrated optimized tested deployed documented refactored integrated launched "
          "reduced streamlined modeled monitored").split()
_OBJECTS = ["a data pipeline", "the billing service", "an internal dashboard",
            "a recommendation model", "the search backend", "a reporting tool",
            "the payments api", "a fraud detection model", "the mobile app backend",
            "a forecasting system", "the test suite", "a customer analytics platform",
            "an inventory service", "the deployment process", "a monitoring stack"]
_NEUTRAL_ACTIVITIES = ["chess club captain", "debate team member", "hackathon organizer",
                       "robotics club member", "coding club president", "math olympiad team",
                       "student newspaper editor", "volunteer tutor", "orchestra violinist",
                       "photography club member", "outdoor club leader", "model united nations"]
_WOMENS_ACTIVITIES = ["women's chess club captain", "women's coding society member",
                      "women's soccer team captain", "women's debate society president",
                      "women's robotics league member"]
_MENS_ACTIVITIES = ["men's chess club captain", "men's soccer team captain",
                    "men's rowing team member"]
_SYLLABLES = ("ka lo mi ne ru ta vi so pe zu ba de fi go hu ja ke li mo nu "
              "pa qui ra se ti vo wa xe yo za").split()


def _pseudo_words(count: int) -> list[str]:
    """A fixed list of distinct invented words (tools, course codes, places)."""
    rng = np.random.default_rng(20181010)  # fixed: vocabulary does not depend on random_state
    words: dict[str, None] = {}
    while len(words) < count:
        k = rng.integers(2, 4)
        words["".join(rng.choice(_SYLLABLES, size=k))] = None
    return list(words)


_FILLER = _pseudo_words(4000)


@dataclasses.dataclass(frozen=True)
class ProxySpec:
    """One proxy the generator plants: its token, kind and designed rates by gender."""

    token: str
    kind: str
    rate_women: float
    rate_men: float


def planted_proxies(proxy_strength: float = 1.0, style_strength: float = 0.5) -> list[ProxySpec]:
    """The planted proxies and their designed per-resume rates, for given strengths."""
    s, v = proxy_strength, style_strength * proxy_strength
    return [
        ProxySpec("women's", "explicit", 0.6 * s, 0.0),
        ProxySpec("men's", "explicit", 0.0, 0.1 * s),
        ProxySpec("sorority", "activity", 0.12 * s, 0.0),
        ProxySpec("fraternity", "activity", 0.0, 0.12 * s),
        ProxySpec("hollis", "college", 0.075 * s, 0.0),
        ProxySpec("marlow", "college", 0.075 * s, 0.0),
        ProxySpec("volleyball", "activity", 0.3 * s, 0.1 * s),
        ProxySpec("football", "activity", 0.1 * s, 0.3 * s),
        ProxySpec("executed", "verb", 0.3 - 0.2 * v, 0.3 + 0.2 * v),
        ProxySpec("captured", "verb", 0.3 - 0.2 * v, 0.3 + 0.2 * v),
    ]


_RACES = ["White", "Asian", "Hispanic or Latino", "Black or African American",
          "Two or More Races"]
_RACE_SHARES = [0.52, 0.22, 0.13, 0.10, 0.03]


def _check_share(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1:
        raise input_error(name, f"{value!r} is not strictly between 0 and 1",
                          f"Pass a share such as {0.25 if name == 'women_share' else 0.3}")
    return float(value)


def _check_strength(value: Any, name: str, upper: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0 \
            or (upper is not None and value > upper):
        bound = f" and at most {upper}" if upper is not None else ""
        raise input_error(name, f"{value!r} is not a number >= 0{bound}",
                          f"Pass e.g. {name}=1.0 (0 turns it off)")
    return float(value)


def make_resumes(
    n_samples: int = 10_000,
    *,
    women_share: float = 0.25,
    history_bias: float = 1.5,
    proxy_strength: float = 1.0,
    style_strength: float = 0.5,
    skill_weight: float = 1.5,
    base_rate: float = 0.3,
    race: bool = True,
    random_state: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    """Synthetic applicants with resumes and a hiring history skewed against women.

    Reproduces, on synthetic data with ground truth, the failure reported of
    a recruiting model trained on ten years of male-dominated hiring
    history: it learned to penalise resumes containing "women's" and
    graduates of two all-women's colleges, and to favour verbs such as
    "executed" and "captured" (Dastin, Reuters, 10 October 2018).

    Parameters
    ----------
    n_samples : int, default 10,000
        Applicants (rows).
    women_share : float, default 0.25
        Share of women in the applicant pool (the original pool was mostly men).
    history_bias : float, default 1.5
        Penalty against women in the historical decisions, in units of the
        latent score's noise scale; 0 gives a fair history in which hiring
        depends on qualification only.
    proxy_strength : float, default 1.0
        Scales every gender-dependent part of the text: explicit "women's"
        activities, the all-women's colleges, sorority/fraternity, gendered
        sports, and style verbs.  0 makes the text independent of gender.
    style_strength : float, default 0.5
        Extra scale for the style verbs ("executed", "captured"); between 0
        and 1.5.
    skill_weight : float, default 1.5
        Weight of qualification in the historical decisions.
    base_rate : float, default 0.3
        Share of applicants hired in the history.
    race : bool, default True
        Add a ``race`` column (independent of everything else), so that
        intersectional audits have categories to report.
    random_state : int, Generator or None
        Seed; the same seed gives the same frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``resume`` (str), ``gender`` ("female"/"male"), ``race``
        (if requested), ``year`` (1-10, the "ten years" of history),
        ``qualification`` (latent, N(0, 1)), ``qualified`` (bool ground truth:
        would succeed in the job) and ``hired`` (bool, the historical
        decision).  ``df.attrs["proxies"]`` holds the planted proxies (a
        DataFrame: token, kind, rate_women, rate_men, the designed share of
        resumes containing the token) and ``df.attrs["params"]`` the
        arguments.

    Notes
    -----
    Qualification is independent of gender by construction, so any gap in
    the selection rates of *qualified* applicants is bias, not merit.  Text
    tokens follow :data:`adverse_impact._text.TOKEN_PATTERN`, under which
    "women's" is one token.

    References
    ----------
    .. [1] Dastin, J. (2018, October 10). Amazon scraps secret AI recruiting
       tool that showed bias against women. *Reuters*.

    Examples
    --------
    >>> from adverse_impact.datasets import make_resumes
    >>> df = make_resumes(2_000, random_state=0)
    >>> sorted(df.columns)
    ['gender', 'hired', 'qualification', 'qualified', 'race', 'resume', 'year']
    >>> rates = df.groupby("gender")["hired"].mean()
    >>> bool(rates["female"] / rates["male"] < 0.8)
    True
    >>> df.attrs["proxies"].loc[0, "token"]
    "women's"
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
            or n_samples < 1:
        raise input_error("n_samples", f"{n_samples!r} is not a positive integer",
                          "Pass the number of applicants, e.g. 10_000")
    n = int(n_samples)
    women_share = _check_share(women_share, "women_share")
    base_rate = _check_share(base_rate, "base_rate")
    history_bias = _check_strength(history_bias, "history_bias")
    proxy_strength = _check_strength(proxy_strength, "proxy_strength", upper=1.6)
    style_strength = _check_strength(style_strength, "style_strength", upper=1.5)
    skill_weight = _check_strength(skill_weight, "skill_weight")
    rng = np.random.default_rng(random_state)
    spec = {p.token: p for p in planted_proxies(proxy_strength, style_strength)}

    woman = rng.random(n) < women_share
    races = rng.choice(len(_RACES), size=n, p=_RACE_SHARES)
    year = rng.integers(1, 11, size=n)
    qualification = rng.standard_normal(n)
    qualified = qualification + 0.5 * rng.standard_normal(n) > 0.5

    def by_gender(token: str) -> np.ndarray:
        p = np.where(woman, spec[token].rate_women, spec[token].rate_men)
        return rng.random(n) < p

    # Education: the all-women's colleges replace a co-ed college.
    college = rng.integers(0, len(_COLLEGES), size=n)
    womens_college = np.where(rng.random(n) < 0.5, 0, 1)
    in_womens_college = woman & (rng.random(n) < spec["hollis"].rate_women
                                 + spec["marlow"].rate_women)
    major = rng.integers(0, len(_MAJORS), size=n)
    degree = np.where(qualification + 0.7 * rng.standard_normal(n) > 1.2, "M.S.", "B.S.")

    explicit_w = woman & (rng.random(n) < spec["women's"].rate_women)
    explicit_m = ~woman & (rng.random(n) < spec["men's"].rate_men)
    sorority, fraternity = by_gender("sorority"), by_gender("fraternity")
    volleyball, football = by_gender("volleyball"), by_gender("football")
    executed, captured = by_gender("executed"), by_gender("captured")

    n_skills = rng.poisson(3 + 2 * np.clip(qualification + 1, 0, None))
    skill_weights = 1 / np.arange(1, len(_SKILLS) + 1) ** 0.6
    skill_weights /= skill_weights.sum()
    skills = rng.choice(len(_SKILLS), size=int(n_skills.sum()), p=skill_weights)
    years = np.clip(np.round(3 + 2 * qualification + 1.5 * rng.standard_normal(n)), 0, 25)
    level = np.clip(np.round(2 + qualification + 0.8 * rng.standard_normal(n)), 0,
                    len(_SENIORITY) - 1).astype(int)
    n_jobs = rng.integers(1, 4, size=n)
    n_bullets = rng.integers(2, 4, size=int(n_jobs.sum()))
    n_filler = rng.integers(10, 26, size=n)
    filler_weights = 1 / np.arange(1, len(_FILLER) + 1) ** 0.9
    filler_weights /= filler_weights.sum()
    filler = rng.choice(len(_FILLER), size=int(n_filler.sum()), p=filler_weights)
    verbs = rng.integers(0, len(_VERBS), size=int(n_bullets.sum()))
    objects = rng.integers(0, len(_OBJECTS), size=int(n_bullets.sum()))
    companies = rng.integers(0, len(_COMPANY_HEAD) * len(_COMPANY_TAIL),
                             size=int(n_jobs.sum()))
    roles = rng.integers(0, len(_ROLES), size=int(n_jobs.sum()))
    activity = rng.integers(0, len(_NEUTRAL_ACTIVITIES), size=n)
    has_activity = rng.random(n) < 0.6
    womens_activity = rng.integers(0, len(_WOMENS_ACTIVITIES), size=n)
    mens_activity = rng.integers(0, len(_MENS_ACTIVITIES), size=n)
    city = rng.integers(0, len(_PLACES), size=n)

    skill_at = np.concatenate([[0], np.cumsum(n_skills)])
    filler_at = np.concatenate([[0], np.cumsum(n_filler)])
    job_at = np.concatenate([[0], np.cumsum(n_jobs)])
    bullet_at = np.concatenate([[0], np.cumsum(n_bullets)])
    resumes = []
    for i in range(n):
        school = (_WOMENS_COLLEGES[womens_college[i]] if in_womens_college[i]
                  else _COLLEGES[college[i]])
        lines = [f"Education: {degree[i]} in {_MAJORS[major[i]]}, {school}"]
        acts = []
        if explicit_w[i]:
            acts.append(_WOMENS_ACTIVITIES[womens_activity[i]])
        if explicit_m[i]:
            acts.append(_MENS_ACTIVITIES[mens_activity[i]])
        if has_activity[i]:
            acts.append(_NEUTRAL_ACTIVITIES[activity[i]])
        if sorority[i]:
            acts.append("sorority treasurer")
        if fraternity[i]:
            acts.append("fraternity treasurer")
        if volleyball[i]:
            acts.append("volleyball")
        if football[i]:
            acts.append("football")
        if acts:
            lines.append("Activities: " + "; ".join(acts))
        lines.append("Skills: " + ", ".join(dict.fromkeys(
            _SKILLS[k] for k in skills[skill_at[i]:skill_at[i + 1]])) if n_skills[i] else
            "Skills: teamwork")
        lines.append(f"Experience: {int(years[i])} years, based in {_PLACES[city[i]]}")
        for j in range(job_at[i], job_at[i + 1]):
            company = (f"{_COMPANY_HEAD[companies[j] // len(_COMPANY_TAIL)]} "
                       f"{_COMPANY_TAIL[companies[j] % len(_COMPANY_TAIL)]}")
            title = f"{_SENIORITY[level[i]]} {_ROLES[roles[j]]}".strip()
            lines.append(f"{title}, {company}")
            for b in range(bullet_at[j], bullet_at[j + 1]):
                lines.append(f"- {_VERBS[verbs[b]]} {_OBJECTS[objects[b]]}")
        if executed[i]:
            lines.append("- executed the quarterly roadmap")
        if captured[i]:
            lines.append("- captured new requirements from stakeholders")
        lines.append("Tools and interests: " + " ".join(
            _FILLER[k] for k in filler[filler_at[i]:filler_at[i + 1]]))
        resumes.append("\n".join(lines))

    latent = skill_weight * qualification - history_bias * woman + rng.logistic(size=n)
    hired = latent > np.quantile(latent, 1 - base_rate)

    frame = pd.DataFrame({"resume": resumes,
                          "gender": np.where(woman, "female", "male").astype(object)})
    if race:
        frame["race"] = np.asarray(_RACES, dtype=object)[races]
    frame["year"] = year
    frame["qualification"] = qualification
    frame["qualified"] = qualified
    frame["hired"] = hired
    proxies = pd.DataFrame([dataclasses.asdict(p) for p in spec.values()])
    frame.attrs["proxies"] = proxies
    frame.attrs["params"] = {
        "n_samples": n, "women_share": women_share, "history_bias": history_bias,
        "proxy_strength": proxy_strength, "style_strength": style_strength,
        "skill_weight": skill_weight, "base_rate": base_rate, "race": bool(race),
        "random_state": random_state if isinstance(random_state, (int, type(None))) else "Generator",
    }
    return frame
