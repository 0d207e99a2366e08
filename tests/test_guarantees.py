"""The catalogue of bad and edge inputs in docs/guarantees.md, one test each, plus fuzzing.

Every entry of the catalogue names the test below that shows the behaviour.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import adverse_impact as ai
from adverse_impact._audits._audit import audit_counts
from adverse_impact._core._counts import GroupCounts

FS = ["F", "F", "M", "M"]


def _err(exc, match):
    return pytest.raises(exc, match=match)


# -- data shape ------------------------------------------------------------------------


def test_empty_data():
    with _err(ai.InputError, "no rows"):
        ai.audit(selected=[], sensitive_features={"s": []})


def test_one_row_and_one_known_group():
    with _err(ai.InputError, "one known group"):
        ai.audit(selected=[1], sensitive_features={"s": ["F"]})
    with _err(ai.InputError, "one known group"):
        ai.audit(selected=[1, 0], sensitive_features={"s": ["F", "F"]})


def test_every_row_unknown():
    with _err(ai.InputError, "no known group after 3 unknown rows"):
        ai.audit(selected=[1, 0, 1], sensitive_features={"s": [None, "", "  "]})


@pytest.mark.parametrize("missing", [None, np.nan, pd.NA, "", "   "])
def test_missing_labels_are_counted_as_unknown(missing):
    result = ai.audit(selected=[1, 0, 1, 1, 0], sensitive_features={"s": FS + [missing]})
    assert result.unknown["s"] == 1 and result.table["n"].sum() == 4 and result.n_total == 5


def test_case_and_space_variants_warn_and_are_not_merged():
    with pytest.warns(UserWarning, match="differ only in case"):
        result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"s": ["F", "f ", "M", "M"]})
    assert len(result.table) == 3


def test_mixed_types_in_a_group_column_warn():
    with pytest.warns(UserWarning, match="type"):
        result = ai.audit(selected=[1, 0, 1, 0], sensitive_features={"s": ["1", 1, "1", 1]})
    assert len(result.table) == 2


@pytest.mark.parametrize(
    "selected",
    [[True, False, True, True], [1.0, 0.0, 1.0, 1.0], np.array([1, 0, 1, 1], dtype=np.int8)],
)
def test_binary_decisions_in_any_numeric_or_boolean_form(selected):
    result = ai.audit(selected=selected, sensitive_features={"s": FS})
    assert result.table["rate"].tolist() == [0.5, 1.0]


def test_yes_no_strings_and_probabilities_are_refused():
    with _err(ai.InputTypeError, "selected"):
        ai.audit(selected=["yes", "no", "yes", "yes"], sensitive_features={"s": FS})
    with _err(ai.InputError, "probabilities"):
        ai.audit(selected=[0.3, 0.7, 0.2, 0.9], sensitive_features={"s": FS})


@pytest.mark.parametrize(
    "bad,match", [(np.nan, "NaN"), (np.inf, "infinite"), (-np.inf, "infinite")]
)
def test_nan_or_infinite_scores(bad, match):
    with _err(ai.InputError, match):
        ai.audit(score=[bad, 0.5, 0.2, 0.9], sensitive_features={"s": FS})


def test_nan_or_infinite_scores_on_an_engine():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"score": [np.inf, 0.5, 0.2, 0.9], "s": FS})
    with _err(ai.InputError, "infinite"):
        ai.audit(frame, score="score", sensitive_features="s")


@pytest.mark.parametrize(
    "weights,match",
    [
        ([-1, 1, 1, 1], "negative"),
        ([np.nan, 1, 1, 1], "NaN"),
        ([0, 0, 0, 0], "every weight is zero"),
    ],
)
def test_bad_weights(weights, match):
    with _err(ai.InputError, match):
        ai.audit(selected=[1, 0, 1, 1], sensitive_features={"s": FS}, sample_weight=weights)


def test_mismatched_lengths_and_misaligned_indexes():
    with _err(ai.InputError, "inconsistent numbers of rows"):
        ai.audit(selected=[1, 0, 1], sensitive_features={"s": ["F", "M"]})
    with _err(ai.InputError, "index"):
        ai.audit(
            selected=pd.Series([1, 0], index=[0, 1]),
            sensitive_features=pd.DataFrame({"s": ["F", "M"]}, index=[5, 6]),
        )


def test_id_like_group_column():
    with _err(ai.InputError, "looks like an ID"):
        ai.audit(
            selected=np.ones(5_000), sensitive_features={"s": [f"id{i}" for i in range(5_000)]}
        )


def test_duplicate_and_non_string_column_names():
    frame = pd.DataFrame([[1, "F", "M"], [0, "M", "F"]], columns=["sel", "g", "g"])
    with _err(ai.InputError, "duplicate column"):
        ai.audit(frame, selected="sel", sensitive_features="g")
    numbered = pd.DataFrame({0: [1, 0, 1, 1], 1: FS})
    assert ai.audit(numbered, selected=0, sensitive_features=1).table["rate"].tolist() == [0.5, 1.0]


def test_unused_categories_are_not_groups():
    labels = pd.Categorical(FS, categories=["F", "M", "X"])
    result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"s": labels})
    assert result.table["group"].tolist() == ["F", "M"]


def test_extremely_large_counts_from_counts():
    # 10^9 applicants per group, simulated by the count table itself.
    table = pd.DataFrame(
        {
            "s": ["F", "M"],
            "n": [10**9, 10**9],
            "selected": [3 * 10**8 - 1, 375_000_000],
            "weight": [1e9, 1e9],
            "weight_selected": [3e8 - 1, 3.75e8],
        }
    )
    counts = GroupCounts(table, ("s",), None, "selected", None, False)
    result = audit_counts(counts)
    assert result.exact_ratios[0] == Fraction(3 * 10**8 - 1, 375_000_000)
    assert bool(result.table["four_fifths_flag"].iloc[0])  # just below 4/5, exactly
    assert (
        result.table["p_value_fisher"].iloc[0] < 1e-300
        or result.table["p_value_fisher"].iloc[0] == 0.0
    )
    assert np.isfinite(result.table["statistic_z"].iloc[0])


# -- text tools and models ---------------------------------------------------------------


def test_unicode_and_empty_resumes():
    texts = ["Capitaine du club d'échecs féminin", "", None, "女子 chess", "women's club"] * 4
    sex = ["F", "M", "F", "M", "F"] * 4
    result = ai.token_proxies(texts, sex, min_count=1)
    assert result.n_empty == 8
    assert {"d'échecs", "féminin", "女子"} <= set(result.to_frame()["token"])


def test_a_model_without_a_scoring_method():
    with _err(ai.InputTypeError, "no predict_proba"):
        ai.audit_model(object(), [[0]] * 4, {"s": FS})


def test_an_unfitted_model():
    with _err(ai.AdverseImpactError, "fitted"):
        ai.audit_model(LogisticRegression(), [[0]] * 4, {"s": FS})


def test_a_model_fitted_on_other_columns():
    model = LogisticRegression().fit(pd.DataFrame({"a": [0, 1, 2, 3]}), [0, 0, 1, 1])
    with _err(ai.InputError, "could not score X"):
        ai.audit_model(model, pd.DataFrame({"b": [0, 1, 2, 3]}), {"s": FS}, threshold=0.5)


# -- the command line's files ------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\x00\x01\x02\xff\xfe",
        b"sex,hired\n",
        b'sex,hired\nF,1\nM\n"unclosed',
        b"PK\x03\x04garbage",
    ],
)
def test_corrupt_truncated_or_wrong_format_files(tmp_path, capsys, content):
    from adverse_impact._cli import main

    for suffix in (".csv", ".parquet"):
        path = tmp_path / f"data{suffix}"
        path.write_bytes(content)
        assert main(["audit", str(path), "--selected", "hired", "--group", "sex"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("adverse-impact: error:") and len(err.strip().splitlines()) == 1


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=300) | st.text(alphabet="sexhired,01FM\n\"'; x", max_size=200))
def test_fuzz_cli_file_reading(tmp_path, content):
    from adverse_impact._cli import main

    path = tmp_path / "fuzz.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    # Any outcome but an uncaught exception: pass (0), fail the gate (1), bad input (2).
    assert main(["audit", str(path), "--selected", "hired", "--group", "sex"]) in (0, 1, 2)


_labels = st.one_of(st.none(), st.text(max_size=3), st.integers(-2, 2), st.floats(), st.booleans())
_decisions = st.one_of(
    st.integers(-1, 2), st.floats(), st.booleans(), st.none(), st.text(max_size=2)
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(_decisions, _labels), max_size=12),
    st.sampled_from(["selected", "score", "weights"]),
)
def test_fuzz_audit_arguments(rows, mode):
    decisions = [d for d, _ in rows]
    labels = [g for _, g in rows]
    kwargs = {"selected": decisions} if mode != "score" else {"score": decisions}
    if mode == "weights":
        kwargs["sample_weight"] = [abs(hash(str(g))) % 3 for g in labels]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # near-duplicate labels warn; that is fine here
            result = ai.audit(sensitive_features={"s": labels}, **kwargs)
    except ai.AdverseImpactError:
        return
    # Whatever succeeds is internally consistent.
    table = result.table
    assert table["n"].sum() + result.unknown["s"] == len(rows)
    ratios = table["impact_ratio"].dropna()
    assert ((ratios >= 0) & (ratios <= 1)).all()


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.sampled_from(["a", "b", "c", None])),
        min_size=4,
        max_size=60,
    ),
    st.randoms(use_true_random=False),
)
def test_invariant_to_row_order_and_renaming(rows, rnd):
    selected = [s for s, _ in rows]
    labels = [g for _, g in rows]
    if len({g for g in labels if g is not None}) < 2:
        return
    base = ai.audit(selected=selected, sensitive_features={"s": labels})
    order = list(range(len(rows)))
    rnd.shuffle(order)
    shuffled = ai.audit(
        selected=[selected[i] for i in order], sensitive_features={"s": [labels[i] for i in order]}
    )
    pd.testing.assert_frame_equal(base.table, shuffled.table)
    renamed = ai.audit(
        selected=selected,
        sensitive_features={"s": [None if g is None else g.upper() for g in labels]},
    )
    assert renamed.table["impact_ratio"].tolist() == pytest.approx(
        base.table["impact_ratio"].tolist(), nan_ok=True
    )
    # Counts conserve rows; the reference's ratio is exactly 1.
    assert base.table["n"].sum() + base.unknown["s"] == len(rows)
    reference = base.table[base.table["is_reference"]]
    assert (reference["impact_ratio"].dropna() == 1).all()


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.integers(1, 60), st.integers(0, 60), st.integers(0, 60))
def test_p_values_fall_as_the_gap_widens(n_a, n_b, sel_a, sel_b):
    from adverse_impact import stats

    sel_a, sel_b = min(sel_a, n_a), min(sel_b, n_b)
    if sel_a == 0 or sel_a * n_b >= sel_b * n_a:
        return
    # One fewer selection in the lower group: the one-sided p cannot rise.
    before = stats.fisher_exact(sel_a, n_a, sel_b, n_b).p_value_less
    after = stats.fisher_exact(sel_a - 1, n_a, sel_b, n_b).p_value_less
    assert after <= before + 1e-12
    z_before = stats.two_proportion_z(sel_a, n_a, sel_b, n_b).p_value_less
    z_after = stats.two_proportion_z(sel_a - 1, n_a, sel_b, n_b).p_value_less
    assert z_after <= z_before + 1e-12


def test_results_from_counts_equal_results_from_rows():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"s": rng.choice(["F", "M", "X"], 500), "sel": rng.integers(0, 2, 500)})
    from_rows = ai.audit(frame, selected="sel", sensitive_features="s")
    counts = from_rows.counts
    from_counts = audit_counts(counts, params=from_rows.params)
    pd.testing.assert_frame_equal(from_rows.table, from_counts.table)


# -- nothing half-written --------------------------------------------------------------------


# The writer stops itself half-way through writing the temporary file and waits to be
# killed: deterministic, whatever the machine's speed (no polling, no sleep).
_HALF_WRITER = """
import os, sys
import adverse_impact._cli as cli

real_fdopen = os.fdopen


class HalfWritten:
    def __init__(self, file):
        self.file = file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return self.file.__exit__(*exc)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def write(self, data):
        self.file.write(data[: len(data) // 2])
        self.file.flush()
        print("half", flush=True)
        sys.stdin.readline()  # blocks until the test kills this process


os.fdopen = lambda *a, **k: HalfWritten(real_fdopen(*a, **k))
sys.exit(cli.main(["audit", sys.argv[1], "--selected", "sel", "--group", "s",
                   "--format", "json", "--out", sys.argv[2]]))
"""


def test_killed_mid_write_leaves_the_old_report(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("the old report")
    data = tmp_path / "data.csv"
    pd.DataFrame({"s": FS * 10, "sel": [1, 0, 1, 1] * 10}).to_csv(data, index=False)
    process = subprocess.Popen(
        [sys.executable, "-c", _HALF_WRITER, str(data), str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "half"
        partial = [p for p in tmp_path.iterdir() if p.name.startswith(".report.json.")]
        assert len(partial) == 1 and partial[0].stat().st_size > 0
    finally:
        process.kill()
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert target.read_text() == "the old report"


# pytest-socket warns as well as raising; the raise is what this test checks.
@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")
def test_the_suite_cannot_reach_the_network():
    import socket

    import pytest_socket

    blocked = (pytest_socket.SocketBlockedError, pytest_socket.SocketConnectBlockedError)
    with pytest.raises(blocked):
        socket.create_connection(("203.0.113.1", 80), timeout=1)  # TEST-NET-3, never routed
