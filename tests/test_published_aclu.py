"""check_summary on the tables of the ACLU's dataset of posted LL144 audits, against a hand
check.

The dataset (aclu-national/auditing-the-audits-facct-2025, ``audits/audits_full.csv``,
CC BY-NC 4.0) is not committed: it is read from
``../shared/data/aclu-auditing-the-audits/audits_full.csv`` beside the repository, or
from ``ADVERSE_IMPACT_ACLU_CSV``, and the tests that need it skip without it.
``tests/_aclu.py`` turns its rows into the published tables and holds the hand check
(fractions, no code from the package).  Over every table the checker's error findings
must be the hand check's: no false alarm, no miss.  The figures are in
docs/publishing.md, "The ACLU's dataset of posted audits"; nothing per audit is
written down here (the licence: read, not redistributed).

The tests that do not need the dataset pin the hand check against brute force and the
checker's fixes on made-up figures.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import pandas as pd
import pytest
from _aclu import DATASET, Row, Table, half, hand_check, read_tables, run, value
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai

needs_dataset = pytest.mark.skipif(
    not DATASET.is_file(),
    reason=(
        "needs the ACLU's audits_full.csv (CC BY-NC 4.0, not committed): place it at "
        f"{DATASET} or set ADVERSE_IMPACT_ACLU_CSV"
    ),
)


@pytest.fixture(scope="module")
def corpus() -> dict:
    return run(DATASET)


@needs_dataset
def test_at_least_thirty_real_tables_are_checked(corpus):
    # 116 audits in the study; a table is one attribute at one threshold of one audit.
    assert corpus["audits"] >= 100
    assert corpus["tables"] >= 30
    # Both verdicts occur: the comparison below is not vacuous.
    assert 30 <= corpus["consistent"] < corpus["tables"]
    assert corpus["rates_only_consistent"] >= 30


@needs_dataset
def test_the_checker_raises_no_false_alarm(corpus):
    alarms = [(key, fault, repr(check)) for key, fault, check in corpus["false_alarms"]]
    assert alarms == []


@needs_dataset
def test_the_checker_misses_nothing_the_hand_check_finds(corpus):
    misses = [(key, fault, repr(check)) for key, fault, check in corpus["misses"]]
    assert misses == []


@needs_dataset
def test_every_unattainable_rate_is_found(corpus):
    # Row by row: each rate no whole count of its n gives is an unattainable_rate error
    # naming its category (part of the comparison above, asserted on its own here).
    assert corpus["unattainable"] > 0
    assert not [m for m in corpus["misses"] if m[1][0] == "unattainable_rate"]


@needs_dataset
def test_the_reader_keeps_counts_only_where_a_table_publishes_them():
    tables, skipped = read_tables(DATASET)
    for table in tables:
        counts = [r.selected for r in table.rows if r.selected]
        assert not counts or all(c.isdigit() for c in counts), table.key
        # Figures as published: no binary tails from a percentage divided by 100.
        for r in table.rows:
            for text in (r.rate, r.ratio):
                assert not text or len(text.partition(".")[2]) <= 12, table.key
    assert len(skipped) < len(tables) / 20


# -- without the dataset -------------------------------------------------------------


def _table(rows: list[tuple[int, str, str, str]], kind: str = "Selection") -> Table:
    return Table(
        "made-up",
        "race",
        kind,
        tuple(
            Row(f"g{i}", False, str(n), k, rate, ratio)
            for i, (n, k, rate, ratio) in enumerate(rows)
        ),
    )


def _brute_force(rows: list[tuple[int, str, str, str]]) -> bool:
    """Some whole counts within the published rates give every ratio (r / highest r)."""
    choices = []
    for n, k, rate, _ in rows:
        p, places = value(rate)
        ks = [int(k)] if k else [j for j in range(n + 1) if abs(Fraction(j, n) - p) <= half(places)]
        choices.append([Fraction(j, n) for j in ks])
    for rates in itertools.product(*choices):
        top = max(rates)
        if top and all(
            abs(r / top - value(ratio)[0]) <= half(value(ratio)[1])
            for r, (*_, ratio) in zip(rates, rows)
        ):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 12),
            st.floats(0, 1),
            st.booleans(),
            st.sampled_from([1, 2]),
            st.sampled_from([0, 0, 0.01, -0.01, 0.03]),
            st.sampled_from([1, 2]),
        ),
        min_size=2,
        max_size=3,
    )
)
def test_the_hand_check_agrees_with_brute_force_on_small_tables(groups):
    # The hand check's interval arithmetic over whole counts, against enumerating them.
    ks = [round(share * n) for n, share, *_ in groups]
    top = max(Fraction(k, n) for k, (n, *_) in zip(ks, groups))
    if not top:
        return
    rows = []
    for k, (n, _, counted, rate_places, nudge, ratio_places) in zip(ks, groups):
        ratio = float(Fraction(k, n) / top) + nudge
        rows.append(
            (
                n,
                str(k) if counted else "",
                f"{k / n:.{rate_places}f}",
                f"{max(ratio, 0):.{ratio_places}f}",
            )
        )
    consistent = ("ratio", None) not in hand_check(_table(rows)).faults
    assert consistent == _brute_force(rows)


def test_the_hand_check_finds_an_unattainable_rate_and_a_ratio_above_one():
    found = hand_check(_table([(28, "", "0.642", "1.00"), (30, "", "0.70", "1.09")])).faults
    assert ("unattainable_rate", "g0") in found
    assert ("ratio_above_one", "g1") in found


def _frame(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "attribute": ["race"] * len(rows),
            "group": [f"g{i}" for i in range(len(rows))],
            "n": [n for n, _, _ in rows],
            "rate": [rate for _, rate, _ in rows],
            "impact_ratio": [ratio for _, _, ratio in rows],
        }
    )


def test_ratios_whose_common_top_rate_no_whole_count_gives_are_an_error():
    # Made-up rates only.  0.83 of 60/100 needs the top rate in [71.86%, 72.73%], 0.80 of
    # 58/100 in [72.05%, 72.96%]: together [72.05%, 72.73%].  The top, 0.7 of 20, is 13,
    # 14 or 15 of 20 (65%, 70%, 75%): none lies there.  Each ratio passes alone, and the
    # continuous intervals meet, so the checker saw nothing before.
    rows = [("20", "0.7", "1.00"), ("100", "0.60", "0.83"), ("100", "0.58", "0.80")]
    assert not _brute_force([(int(n), "", rate, ratio) for n, rate, ratio in rows])
    (finding,) = ai.check_summary(_frame(rows)).errors
    assert finding.code == "ratios_inconsistent"
    assert "14 of 20 is 70.00%" in finding.message and "15 of 20 is 75.00%" in finding.message
    # One more applicant at the top: 0.7 of 138 includes 100 of 138 = 72.46%, consistent.
    rows[0] = ("138", "0.7", "1.00")
    assert _brute_force([(int(n), "", rate, ratio) for n, rate, ratio in rows])
    assert ai.check_summary(_frame(rows)).errors == ()
