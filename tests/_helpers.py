"""Small builders shared by tests."""

from __future__ import annotations

import pandas as pd


def applicants(counts: dict[str, tuple[int, int]], attribute: str = "group") -> pd.DataFrame:
    """One row per applicant from {label: (selected, n)}."""
    labels, selected = [], []
    for label, (s, n) in counts.items():
        labels += [label] * n
        selected += [1] * s + [0] * (n - s)
    return pd.DataFrame({attribute: labels, "selected": selected})


#: Four named ZCTAs of the made-up geography (adults in the order white, black,
#: api, aian, multiracial, hispanic, other), so tests can name a place by its make-up.
NAMED_PLACES = {
    "30310": [1_000, 25_000, 200, 50, 500, 800, 40],  # mostly Black
    "78521": [2_000, 100, 300, 100, 200, 60_000, 20],  # mostly Hispanic
    "92683": [15_000, 500, 30_000, 100, 1_500, 20_000, 60],  # Asian/Pacific Islander
    "02139": [22_000, 4_000, 9_000, 100, 1_500, 3_000, 300],  # mixed
}


def adult_counts(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A made-up geography table in ``impute_race``'s ``zcta_table`` columns.

    Stands in for the CFPB's adult counts per ZCTA, which cannot be committed:
    the four ZCTAs of ``NAMED_PLACES``, then ``n`` more whose make-up is drawn
    around a national mix (segregated: Dirichlet with small concentration), two
    of them without adults, some with "other race alone" adults.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    national = np.array([0.64, 0.12, 0.05, 0.01, 0.02, 0.16])
    make_up = rng.dirichlet(national * 3.0, size=n)
    adults = rng.integers(100, 40_000, n)
    adults[:2] = 0
    counts = np.floor(make_up * adults[:, None]).astype(np.int64)
    other = rng.integers(0, 80, n) * (adults > 0)
    codes = rng.choice(np.arange(10_000, 99_999), size=n, replace=False)
    codes = codes[~np.isin(codes, [int(z) for z in NAMED_PLACES])]
    n = len(codes)
    named = np.array(list(NAMED_PLACES.values()))
    columns = ["white", "black", "api", "aian", "multiracial", "hispanic", "other"]
    table = np.vstack([named, np.column_stack([counts[:n], other[:n]])])
    frame = pd.DataFrame(table, columns=columns)
    frame.insert(0, "zcta", list(NAMED_PLACES) + [f"{c:05d}" for c in codes])
    return frame


def paired_stand_in(seed: int = 0):
    """A paired test of a stand-in scorer, for the paired report's tests and screenshots.

    The scorer reads a resume's years of experience, adds noise, takes 0.3 off
    when the name is a Black man's, and raises a timeout on every 25th call,
    so the report has an effect, names below their group and failures.  Used
    by ``tests/blackbox/test_blackbox_report.py`` and ``scripts/screenshots.py``.
    """
    import numpy as np

    import adverse_impact as ai

    names = ai.datasets.load_names()
    black_men = set(names.loc[(names["race"] == "B") & (names["sex"] == "M"), "name"])
    rng = np.random.default_rng(seed)
    calls = []

    def scorer(texts: list[str]) -> list[float]:
        calls.append(1)
        if len(calls) % 25 == 0:
            raise TimeoutError("simulated API timeout")
        return [
            int(t.rsplit("id ", 1)[1]) / 40
            + rng.normal(scale=0.2)
            - 0.3 * (t.split("\n", 1)[0] in black_men)
            for t in texts
        ]

    templates = [f"{{name}}\nExperience: {i} years; id {i}" for i in range(40)]
    return ai.paired_test(
        scorer,
        templates,
        n_repeats=5,
        batch_size=1,
        select_top=0.3,
        ties="random",
        random_state=seed,
    )


def funnel_with_dropout():
    """A two-stage funnel where one group (Pacific, 3%) falls under 2% after screening."""
    # 1,000 applicants; "Pacific" is 3% of them (above 2%) but passes screening at a
    # fifth of the others' rate, so it is 0.6% of those screened: under 2% from there on.
    import numpy as np

    import adverse_impact as ai

    rng = np.random.default_rng(11)
    n = 1_000
    race = np.array(["Pacific"] * 30 + ["White"] * 570 + ["Black"] * 400)
    screened = np.concatenate(
        [rng.random(30) < 0.1, rng.random(570) < 0.5, rng.random(400) < 0.45]
    ).astype(int)
    offered = screened * (rng.random(n) < 0.4)
    frame = pd.DataFrame({"race": race, "screened": screened, "offered": offered})
    return ai.audit_funnel(
        frame, stages=["screened", "offered"], sensitive_features="race", min_share=0.02
    )


def drift_rows(
    months: int = 18, per_group: int = 1500, change: int = 9, ratio: float = 0.7
) -> pd.DataFrame:
    """Exact counts, no noise: men 30% every month; women 30%, then ``0.3 * ratio`` from
    month ``change`` on (the issue's scenario: fair for eight months, then 0.7)."""
    rows = []
    for m in range(1, months + 1):
        day = pd.Timestamp("2025-01-01") + pd.DateOffset(months=m - 1)
        women = round(per_group * 0.3 * (ratio if m >= change else 1.0))
        men = round(per_group * 0.3)
        rows.append((day, "F", 1, women))
        rows.append((day, "F", 0, per_group - women))
        rows.append((day, "M", 1, men))
        rows.append((day, "M", 0, per_group - men))
    frame = pd.DataFrame(rows, columns=["month", "sex", "selected", "count"])
    return (
        frame.loc[frame.index.repeat(frame["count"])].drop(columns="count").reset_index(drop=True)
    )


def just_below(selected: int = 3_998, n: int = 5_000, attribute: str = "sex") -> pd.DataFrame:
    """F selected ``selected`` of ``n``, M all ``n`` of ``n``: F's impact ratio is
    ``selected / n`` exactly, below four-fifths by a hair (3,998 / 5,000 = 0.7996;
    39,998 / 50,000 = 0.79996), which two or three decimals round to 0.80."""
    return applicants({"F": (selected, n), "M": (n, n)}, attribute)


def just_below_paired(n: int = 5_000):
    """A paired test whose decisions put the women's college at 0.7996 of the co-ed rate.

    The scorer selects the co-ed college in every one of ``n`` templates and the
    women's college in the first 3,998 of 5,000 (the same share of ``n``):
    the decisions' impact ratio is below four-fifths exactly.
    """
    import adverse_impact as ai

    signals = pd.DataFrame(
        {"college": ["Wellesley College", "Dalton College"], "type": ["women's", "co-ed"]}
    )
    templates = [f"id {i}; {{college}}" for i in range(n)]
    cut = n * 3_998 // 5_000

    def scorer(texts):
        return [1.0 if "Dalton" in t or int(t.split()[1].rstrip(";")) < cut else 0.0 for t in texts]

    return ai.paired_test(scorer, templates, signals=signals, threshold=0.5, reference="co-ed")


def just_below_rankings() -> pd.DataFrame:
    """Two candidates a prompt, one top place: F first in 3,998 prompts, M in 5,000, so
    F's top-1 rate over M's is 3,998 / 5,000 = 0.7996, below four-fifths exactly."""
    first = ["F"] * 3_998 + ["M"] * 5_000
    rows = [(p, sex, 1 if sex == top else 2) for p, top in enumerate(first) for sex in ("F", "M")]
    return pd.DataFrame(rows, columns=["prompt", "sex", "rank"])


def just_below_rankings_audit():
    """The ranking audit of :func:`just_below_rankings`: F's impact ratio is 0.7996."""
    import adverse_impact as ai

    return ai.audit_rankings(
        just_below_rankings(),
        prompt="prompt",
        sensitive_features="sex",
        rank="rank",
        n_resamples=199,
        random_state=0,
    )
