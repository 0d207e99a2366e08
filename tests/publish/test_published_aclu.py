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
from _aclu import (
    DATASET,
    Row,
    Table,
    checker_faults,
    compared,
    half,
    hand_check,
    read_tables,
    run,
    value,
)
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
    # Made-up.  The top, 0.7 of 20, is 13, 14 or 15 of 20 (65%, 70%, 75%).  0.86 of 60%
    # fits a top of 70% and 0.8 of 59.6% one of 75%, so each ratio passes alone; together
    # they need the top in [70.12%, 70.18%], where no count of 20 lies.  The intervals of
    # real numbers meet, so the checker saw nothing before.
    rows = [("20", "0.7", "1.00"), ("100", "0.60", "0.86"), ("1000", "0.596", "0.8")]
    assert not _brute_force([(int(n), "", rate, ratio) for n, rate, ratio in rows])
    (finding,) = ai.check_summary(_frame(rows)).errors
    assert finding.code == "ratios_inconsistent"
    assert "between 70.12% and 70.18%" in finding.message
    assert "14 of 20 is 70.00%, 15 of 20 is 75.00%" in finding.message
    # 2,000 applicants at the top: 1,403 of 2,000 is 70.15%, and the table is consistent.
    rows[0] = ("2000", "0.7", "1.00")
    assert _brute_force([(int(n), "", rate, ratio) for n, rate, ratio in rows])
    assert ai.check_summary(_frame(rows)).errors == ()


def test_a_ratio_more_precise_than_its_rate_that_no_whole_count_gives_is_an_error():
    # Made-up: the top is 16 of 24 (0.67 of 24 allows no other count).  0.5 of 121 is 55
    # to 66 of 121, ratios 0.682 to 0.818 as a range of reals, so 0.813 passed before;
    # but 65 of 121 gives 0.806 and 66 of 121 gives 0.818: no count gives 0.813.
    rows = [("24", "0.67", "1.0"), ("121", "0.5", "0.813")]
    assert not _brute_force([(int(n), "", rate, ratio) for n, rate, ratio in rows])
    (finding,) = ai.check_summary(_frame(rows)).errors
    assert finding.code == "wrong_ratio" and finding.group == "g1"
    assert "no whole number of its 121 applicants" in finding.message
    # 0.81 is 65 of 121 against 16 of 24 (0.806): no error.
    rows[1] = ("121", "0.5", "0.81")
    assert ai.check_summary(_frame(rows)).errors == ()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 200),
            st.floats(0, 1),
            st.booleans(),
            st.sampled_from([1, 2, 3]),
            st.sampled_from([0, 0, 0, 0.01, -0.01, 0.02]),
            st.sampled_from([1, 2, 2, 3]),
        ),
        min_size=2,
        max_size=4,
    )
)
def test_the_checker_and_the_hand_check_agree_on_random_tables(groups):
    # Counts published for some rows, rates of 1 to 3 decimals, ratios of 1 to 3 decimals
    # some of them nudged off: every kind of fault the hand check names, the checker finds,
    # and nothing else.
    ks = [round(share * n) for n, share, *_ in groups]
    top = max(Fraction(k, n) for k, (n, *_) in zip(ks, groups))
    if not top:
        return
    rows = [Row("Unknown", True, "0", "", "", "")]
    for i, (k, (n, _, counted, rate_places, nudge, ratio_places)) in enumerate(zip(ks, groups)):
        ratio = max(float(Fraction(k, n) / top) + nudge, 0)
        rate = f"{k / n:.{rate_places}f}"
        rows.append(
            Row(
                f"g{i}", False, str(n), str(k) if counted else "", rate, f"{ratio:.{ratio_places}f}"
            )
        )
    table = Table("made-up", "race", "Selection", tuple(rows))
    hand = {f for f in compared(hand_check(table).faults) if f[0] != "excluded_above_threshold"}
    check = ai.check_summary(table.frame(), kind="selection", min_share=1e-9)
    assert checker_faults(check) == hand, repr(check)


def test_ratios_far_more_precise_than_their_rates_are_checked_jointly():
    # Made-up: 14 categories of 200,000 to 1,000,000 applicants, rates of 2 decimals,
    # ratios of 6 (the rounded rates' quotients).  Each category's rates split the top
    # rate into some 10,000 pieces; intersecting them piece by piece, not pair by pair,
    # takes about 2 s here (it took 300 s: a regression shows in the suite's duration,
    # not in a timed assertion).
    import random

    rng = random.Random(0)
    n = [rng.randint(200_000, 1_000_000) for _ in range(14)]
    rates = [f"{rng.uniform(0.4, 0.5):.2f}" for _ in range(14)]
    top = max(float(r) for r in rates)
    rows = [(str(k), r, f"{float(r) / top:.6f}") for k, r in zip(n, rates)]
    check = ai.check_summary(_frame(rows))
    # 6-decimal ratios pin every rate to the top; no whole counts meet all 13 at once.
    assert [f.code for f in check.errors] == ["ratios_inconsistent"]
