"""The reports of score gaps, age audits and model comparisons (``_scores/_report.py``).

Reference: data built so that the figures are known by hand (means and SDs exact,
selections counted), and the results' own tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._scores._report import _finite, age_document, gaps_document, models_document


def _exact(mean, sd, n, seed):
    """n values whose sample mean and SD (ddof=1) are exactly ``mean`` and ``sd``."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = (z - z.mean()) / z.std(ddof=1)
    return mean + sd * z


@pytest.fixture(scope="module")
def gaps():
    # Women score half a standard deviation below men: d = 0.5 exactly.
    score = np.concatenate([_exact(0.0, 1.0, 200, 1), _exact(-0.5, 1.0, 200, 2)])
    sex = ["M"] * 200 + ["F"] * 200
    return ai.score_gaps(score=score, sensitive_features={"sex": sex}, thresholds=[-1.0, 0.0, 1.0])


def test_the_gaps_verdict_names_the_largest_gap_and_the_cut_offs_below_four_fifths(gaps):
    document = gaps_document(gaps)
    row = gaps.table.set_index("group").loc["F"]
    assert row["d"] == pytest.approx(0.5, abs=1e-12)
    cut = gaps.thresholds
    n_flagged = cut["four_fifths_flag"].astype(bool).sum()
    assert n_flagged >= 1  # at a cut-off of 1, about 0.16 against 0.31
    assert document.verdict.startswith("The largest score gap is d = 0.50 (sex: F below M; ")
    assert "1 group (sex: F) fall below four-fifths at one or more of the 3 cut-offs" in (
        document.verdict
    )
    assert document.verdict.endswith("with no correction for their number.")
    assert document.passes is None  # a description, not a pass or fail


def test_the_gaps_tables_show_the_reference_without_a_difference(gaps):
    groups, cutoffs, _figure = gaps_document(gaps).sections[0].blocks
    rows = {row[0]: row for row in groups.rows}
    assert set(rows) == {"M (reference)", "F"}
    assert rows["M (reference)"][4:9] == ("—",) * 5
    assert rows["F"][4] == "0.500"
    assert groups.row_classes == tuple(
        "reference" if name.endswith("(reference)") else "" for name in rows
    )
    # One row per cut-off, the ratio starred where it is below four-fifths.
    assert [row[0] for row in cutoffs.rows] == ["-1.000", "0.000", "1.000"]
    cut = gaps.thresholds
    ratio = float(cut[(cut["threshold"] == 1.0) & (cut["group"] == "F")]["impact_ratio"].iloc[0])
    assert cutoffs.rows[2][1] == f"{ratio:.3f} * below 4/5"


def test_an_age_audit_report_reads_the_main_comparison_first():
    rng = np.random.default_rng(3)
    age = rng.integers(20, 66, 2_000)
    selected = rng.random(2_000) < np.where(age >= 40, 0.2, 0.3)
    result = ai.audit_age(selected=selected, age=age)
    document = age_document(result)
    table = result.audit.table
    ratio = float(table[~table["is_reference"].astype(bool)]["impact_ratio"].iloc[0])
    assert document.verdict.startswith(
        f"Applicants 40 and over are selected at {ratio:.2f} times the rate of those under 40 "
        f"({'below' if ratio < 0.8 else 'not below'} four-fifths); of the {len(result.sweep)} "
        "cut-offs of the sweep, "
    )
    assert document.verdict.endswith(
        "the main comparison is the one judged, the sweep and trend describe."
    )
    assert document.sections[0].blocks[0].title == "40 and over against under 40"


def test_a_model_comparison_report_flags_the_models_below_four_fifths():
    rng = np.random.default_rng(4)
    n = 600
    sex = rng.choice(["F", "M"], n)
    y = rng.random(n) < 0.4
    fair = rng.normal(0, 1, n) + y
    biased = fair + 1.5 * (sex == "M")
    result = ai.compare_models(
        {"fair": fair, "biased": biased},
        None,
        y,
        {"sex": sex},
        select_top=0.3,
        n_resamples=10,
        random_state=0,
    )
    document = models_document(result)
    assert document.verdict == result.verdict
    models = document.sections[0].blocks[0]
    flags = {row[0].removesuffix(" (current)"): row[8] for row in models.rows}
    table = result.table.set_index("model")
    for model in ("fair", "biased"):
        below = table.loc[model, "min_impact_ratio"] < 0.8
        assert flags[model] == ("below 4/5" if below else "—")
    assert flags["biased"] == "below 4/5"


@pytest.mark.parametrize(
    ("value", "finite"),
    [
        (1.0, True),
        (0, True),
        (np.float32(2.5), True),
        (None, False),
        (np.nan, False),
        (np.inf, False),
        ("x", False),
        ("0.5", True),
    ],
)
def test_finite_accepts_numbers_and_numeric_text_only(value, finite):
    assert _finite(value) is finite


# Ratios beside verdicts show the decimals that decide their side (branch decisive).
# F (or the older group) is selected in 3,998 of 5,000 against every one of 5,000: an
# impact ratio of 0.7996, below four-fifths exactly, which two or three decimals write
# 0.80 / 0.800 beside "below 4/5".

SEX = np.array(["F"] * 5_000 + ["M"] * 5_000)
#: F's first 3,998 and every M at 1, the rest of F at 0: a cut-off of 0.5 selects
#: 3,998 of 5,000 F and 5,000 of 5,000 M.
SCORE = np.r_[np.ones(3_998), np.zeros(1_002), np.ones(5_000)]


def test_score_gap_report_shows_the_ratio_at_a_cut_off_below_four_fifths():
    gaps = ai.score_gaps(score=SCORE, sensitive_features={"sex": SEX}, thresholds=[0.5])
    text = gaps.to_markdown()
    assert "0.7996 * below 4/5" in text and "0.800 *" not in text
    assert ">0.7996 *<" in gaps.to_html()


def test_age_report_verdict_and_sweep_show_the_ratio_below_four_fifths():
    # F plays the older applicants (41 to 80), M the younger (20 to 39).
    spread = np.arange(10_000) % 20
    age = np.where(SEX == "F", 41 + 2 * spread, 20 + spread)
    data = pd.DataFrame({"age": age, "selected": SCORE.astype(int)})
    age = ai.audit_age(data, selected="selected", age="age", cutoff=40, sweep=[40, 45])
    verdict = age.verdict
    assert "selected at 0.7996 times the rate" in verdict and "(below four-fifths)" in verdict
    text = age.to_markdown()
    # The main comparison's row and the sweep's row at 40 (45 and over is not flagged);
    # F's rate, 0.800 in the first, is a rate.
    rows = [line for line in text.splitlines() if line.startswith("| 40 and over")]
    assert len(rows) == 2 and all("| 0.7996 |" in r and "below 4/5" in r for r in rows)


@pytest.fixture(scope="module")
def comparison():
    X = pd.DataFrame({"x": np.arange(10_000)})
    y = np.r_[np.ones(3_998), np.zeros(1_002), np.ones(4_000), np.zeros(1_000)].astype(bool)
    models = {"current": lambda X: SCORE, "other": lambda X: SCORE * 0.9}
    return ai.compare_models(
        models, X, y, {"sex": SEX}, threshold=0.5, current="current", n_resamples=0
    )


def test_model_comparison_report_shows_the_lowest_ratio_below_four_fifths(comparison):
    table = comparison.table.set_index("model")
    assert table.loc["current", "min_impact_ratio"] == pytest.approx(0.7996)
    assert not table.loc["current", "passes_four_fifths"]
    text = comparison.to_markdown()
    (model,) = [line for line in text.splitlines() if line.startswith("| current (current)")]
    assert "| 0.7996 |" in model and "| 0.800 |" not in model
    # The by-group table: F's rate 0.800 (a rate), then its ratio beside the flag.
    (f,) = [line for line in text.splitlines() if line.startswith("| current | sex | F")]
    assert "| 0.7996 | below 4/5 |" in f
    assert ">0.7996 *<" in comparison.to_html()
