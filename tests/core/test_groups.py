"""One group coder: every function lists the same groups, in the same order, with the same counts."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._core._groups import code_cells, code_groups, is_unknown, sort_key

UNKNOWN = "Unknown"


def _groups_by_attribute(frame: pd.DataFrame) -> dict[str, list]:
    return {name: list(rows["group"]) for name, rows in frame.groupby("attribute", sort=False)}


def _counts_by_attribute(frame: pd.DataFrame, column: str) -> dict[str, list[int]]:
    return {
        name: [int(v) for v in rows[column]]
        for name, rows in frame.groupby("attribute", sort=False)
    }


@st.composite
def _data(draw):
    n = draw(st.integers(12, 60))
    kind = draw(st.sampled_from(["int", "categorical"]))
    # The first rows guarantee two known groups per attribute and per cell of the
    # intersection; the rest are drawn, unknowns (None, "", "Unknown") included.
    text = ["F", "M", "F", "M"] + draw(
        st.lists(
            st.sampled_from(["F", "M", "X", None, "", UNKNOWN]), min_size=n - 4, max_size=n - 4
        )
    )
    numbers = [1, 1, 10, 10] + draw(
        st.lists(st.sampled_from([1, 2, 10, None]), min_size=n - 4, max_size=n - 4)
    )
    if kind == "categorical":
        second = pd.Categorical(
            [None if v is None else f"g{v}" for v in numbers], categories=["g10", "g2", "g1"]
        )
    else:
        second = pd.array(numbers, dtype="Int64")
    scores = np.array(draw(st.lists(st.integers(0, 9), min_size=n, max_size=n)), dtype=float)
    truth = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    return pd.DataFrame({"sex": pd.Series(text, dtype=object), "grade": second}), scores, truth


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_data(), st.integers(1, 9))
def test_every_function_lists_the_same_groups_in_the_same_order(data, cut):
    features, scores, truth = data
    selected = (scores >= cut).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        audited = ai.audit(selected=selected, sensitive_features=features, unknown=UNKNOWN)
        model = ai.audit_model(
            lambda X: np.asarray(X, dtype=float),
            scores,
            features,
            threshold=cut,
            unknown=UNKNOWN,
            y_true=truth,
        )
        sweep = ai.threshold_sweep(
            scores, sensitive_features=features, thresholds=[cut], unknown=UNKNOWN
        )
        rates = ai.error_rates(truth, selected, features, unknown=UNKNOWN)
        texts = [f"tok{i % 3} word" for i in range(len(scores))]
        tokens = {
            name: ai.token_proxies(texts, features[name], unknown=UNKNOWN, min_count=1)
            for name in features
        }
        scan = ai.proxy_scan(pd.DataFrame({"s": scores}), features, unknown=UNKNOWN)

    expected = _groups_by_attribute(audited.table)
    assert list(expected) == ["sex", "grade", "sex x grade"]
    for frame in (model.table, sweep.to_frame(), rates, model.error_rates):
        assert _groups_by_attribute(frame) == expected
    for name in features:
        assert list(tokens[name].groups) == expected[name]
        assert tokens[name].n_unknown == audited.unknown[name]
    assert dict(scan.unknown) == {k: audited.unknown[k] for k in features}
    assert dict(sweep.unknown) == dict(audited.unknown) == dict(rates.attrs["unknown"])

    # The counts agree too.
    n = _counts_by_attribute(audited.table, "n")
    chosen = _counts_by_attribute(audited.table, "selected")
    for frame in (model.table, sweep.to_frame(), rates):
        assert _counts_by_attribute(frame, "n") == n
        assert _counts_by_attribute(frame, "selected") == chosen
    # The reference (highest rate, ties to the first group in order) is the same too.
    for frame in (model.table, sweep.to_frame()):
        assert _counts_by_attribute(frame, "is_reference") == _counts_by_attribute(
            audited.table, "is_reference"
        )
    # The order is the library's: numbers numerically, then text, categories by label.
    for name, groups in expected.items():
        if name != "sex x grade":
            assert groups == sorted(groups, key=lambda g: sort_key((g,)))


def test_numeric_labels_sort_numerically_in_the_token_table_as_in_the_audit():
    # Before one group coder, token_proxies sorted labels as text: 1, 10, 2.
    grade = [1, 2, 10] * 20
    texts = ["alpha beta", "beta gamma", "gamma alpha"] * 20
    assert ai.token_proxies(texts, grade, min_count=1).groups == (1, 2, 10)
    table = ai.audit(selected=[1, 0] * 30, sensitive_features={"grade": grade}).table
    assert list(table["group"]) == [1, 2, 10]


@pytest.mark.parametrize(
    "function", ["token_proxies", "proxy_scan", "recoverability", "counterfactual_test"]
)
def test_proxy_functions_accept_unknown(function):
    rng = np.random.default_rng(0)
    sex = np.array(rng.choice(["F", "M", "Declined"], 120), dtype=object)
    texts = ["python sql", "her chess club", "java"] * 40
    n_declined = int((sex == "Declined").sum())
    if function == "token_proxies":
        found = ai.token_proxies(texts, sex, unknown="Declined", min_count=1)
        assert found.groups == ("F", "M") and found.n_unknown == n_declined
    elif function == "proxy_scan":
        found = ai.proxy_scan(
            pd.DataFrame({"x": rng.normal(size=120)}), {"sex": sex}, unknown=["Declined"]
        )
        assert dict(found.unknown) == {"sex": n_declined}
    elif function == "recoverability":
        found = ai.recoverability(
            rng.normal(size=(120, 2)), sex, unknown="Declined", random_state=0
        )
        assert found.groups == ("F", "M") and found.n_unknown == n_declined
    else:
        result = ai.counterfactual_test(
            lambda X: np.array([len(x) for x in X], dtype=float),
            texts,
            sensitive_features=sex,
            unknown="Declined",
        )
        assert list(result.by_group["group"]) == ["F", "M", "unknown"]
        assert result.by_group["n"].iloc[-1] == n_declined


# -- polars and pyarrow inputs ---------------------------------------------------------


def _proxy_inputs():
    rng = np.random.default_rng(3)
    sex = rng.choice(["F", "M"], 300)
    frame = pd.DataFrame(
        {
            "height": rng.normal(size=300) + (sex == "M"),
            "years": rng.integers(0, 20, 300),
            "college": np.where(rng.random(300) < 0.7, sex, "other"),
        }
    )
    return frame, sex


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_proxy_scan_on_polars_and_pyarrow_equals_pandas(library):
    # Before: a polars frame came back with columns x0, x1, x2, every column read
    # as categorical, and Cramér's V of 1.0 for the continuous height.
    frame, sex = _proxy_inputs()
    expected = ai.proxy_scan(frame, pd.Series(sex, name="sex")).to_frame()
    if library == "polars":
        pl = pytest.importorskip("polars")
        native, labels = pl.from_pandas(frame), pl.Series("sex", sex)
    else:
        pa = pytest.importorskip("pyarrow")
        native, labels = pa.Table.from_pandas(frame), pa.table({"sex": sex})
    got = ai.proxy_scan(native, labels).to_frame()
    pd.testing.assert_frame_equal(got, expected)
    assert set(got.loc[got["feature"] == "height", "kind"]) == {"numeric"}


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_group_labels_from_polars_and_pyarrow_code_like_pandas(library):
    frame, sex = _proxy_inputs()
    if library == "polars":
        pl = pytest.importorskip("polars")
        labels = pl.DataFrame({"sex": sex, "college": frame["college"]})
    else:
        pa = pytest.importorskip("pyarrow")
        labels = pa.table({"sex": sex, "college": frame["college"]})
    expected = code_groups(pd.DataFrame({"sex": sex, "college": frame["college"]}))
    got = code_groups(labels)
    assert [(a.name, a.keys, a.n_unknown) for a in got] == [
        (a.name, a.keys, a.n_unknown) for a in expected
    ]
    assert all(np.array_equal(a.codes, b.codes) for a, b in zip(got, expected))
    tokens = ai.token_proxies(
        ["a b"] * 300,
        labels.select(["sex"]) if library == "polars" else labels.select(["sex"]),
        min_count=1,
    )
    assert tokens.groups == ("F", "M")


# -- non-answers audited as groups (issue 14, item 2) ----------------------------------

NON_ANSWERS = [
    "Decline to self-identify",
    "Prefer not to say",
    "Unknown",
    "Not disclosed",
    "N/A",
    "I prefer not to answer",
    "Declined to state",
    "not specified",
    # Issue 25: the wordings of real ATS exports.
    "I do not wish to self-identify",
    "I don't wish to answer",
    "Choose not to disclose",
    "I choose not to disclose",
    "I would rather not say",
    "Do not wish to answer this question",
    "Prefer not to disclose",
    "I decline to self-identify",
]


@pytest.mark.parametrize("non_answer", NON_ANSWERS)
def test_a_label_that_looks_like_a_non_answer_warns_once_naming_it(non_answer):
    sex = ["F", "M", non_answer] * 10
    race = ["A", "B"] * 15
    with pytest.warns(ai.UnknownCategoryWarning) as caught:
        result = ai.audit(selected=[1, 0, 1] * 10, sensitive_features={"sex": sex, "race": race})
    assert len(caught) == 1
    message = str(caught[0].message)
    assert repr(non_answer) in message and "unknown=" in message
    # Named once, though the label sits in one counts cell per race.
    assert message.count(repr(non_answer)) == 2  # once where found, once in the unknown= hint
    assert caught[0].filename == __file__  # the user's line
    assert non_answer in set(result.table["group"])  # still the user's decision
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        passed = ai.audit(
            selected=[1, 0, 1] * 10,
            sensitive_features={"sex": sex, "race": race},
            unknown=non_answer,
        )
    assert passed.unknown["sex"] == 10


def test_non_answer_warning_is_given_once_per_model_audit_and_by_the_sweep():
    sex = ["F", "M", "Prefer not to say"] * 10
    scores = np.linspace(0, 1, 30)
    with pytest.warns(ai.UnknownCategoryWarning) as caught:
        ai.audit_model(
            lambda X: np.asarray(X), scores, {"sex": sex}, threshold=0.5, y_true=[0, 1] * 15
        )
    assert len(caught) == 1 and caught[0].filename == __file__
    with pytest.warns(ai.UnknownCategoryWarning) as caught:
        ai.threshold_sweep(scores, sensitive_features={"sex": sex})
    assert len(caught) == 1 and caught[0].filename == __file__


@pytest.mark.parametrize(
    "label",
    [
        "Not Hispanic or Latino",
        "Native American",
        "Other",
        "Two or more races",
        "Nonbinary",
        "Asian",
        "None of the above",
        "Unknown Pleasures Society",
    ],
)
def test_real_categories_do_not_warn(label):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ai.audit(selected=[1, 0, 1] * 10, sensitive_features={"g": ["x", "y", label] * 10})


def test_the_non_answer_warning_is_a_user_warning_the_cli_can_show():
    assert issubclass(ai.UnknownCategoryWarning, UserWarning)
    assert not issubclass(ai.UnknownCategoryWarning, (DeprecationWarning, FutureWarning))


# -- warnings point at the caller's line, whatever the depth ---------------------------


def _near_duplicates():
    return ["F", "f", "M"] * 10


def test_warnings_point_at_the_callers_line_at_every_depth():
    from adverse_impact.testing import assert_no_adverse_impact

    calls = [
        lambda: ai.audit(selected=[1, 0, 1] * 10, sensitive_features={"sex": _near_duplicates()}),
        lambda: ai.audit_model(
            lambda X: np.asarray(X),
            np.linspace(0, 1, 30),
            {"sex": _near_duplicates()},
            threshold=0.5,
        ),
        lambda: ai.threshold_sweep(
            np.linspace(0, 1, 30), sensitive_features={"sex": _near_duplicates()}
        ),
        lambda: assert_no_adverse_impact(
            lambda X: np.asarray(X),
            np.linspace(0, 1, 30),
            {"sex": _near_duplicates()},
            threshold=0.5,  # selects some: a gate refuses decisions that select everyone
        ),
        lambda: ai.audit(
            selected=[1, 0] * 5, sensitive_features={"sex": ["F", "M"] * 5}, unknown="Unknwon"
        ),
    ]
    for call in calls:
        with pytest.warns(UserWarning) as caught:
            call()
        assert caught, call
        assert {w.filename for w in caught} == {__file__}


# -- an ID-like column on an engine fails before the group-by result is collected ------


def test_id_like_group_column_on_an_engine_fails_before_collecting(monkeypatch):
    pl = pytest.importorskip("polars")
    import narwhals as nw

    from adverse_impact._core import _counts

    fetched: list[int] = []
    original = nw.DataFrame.to_pandas

    def spy(self):
        fetched.append(len(self))
        return original(self)

    monkeypatch.setattr(nw.DataFrame, "to_pandas", spy)
    monkeypatch.setattr(_counts, "MAX_CELLS", 50)
    n = 3000
    data = pl.LazyFrame(
        {"id": np.arange(n), "sex": ["F", "M"] * (n // 2), "selected": [0, 1, 1] * (n // 3)}
    )
    with pytest.raises(
        ai.InputError, match=r"^sensitive_features\['id'\]: has 3,000 distinct labels"
    ):
        ai.audit(data, selected="selected", sensitive_features=["sex", "id"])
    assert all(k <= 51 for k in fetched)  # before: the whole 3,000-cell group-by came over
    fetched.clear()
    result = ai.audit(data, selected="selected", sensitive_features="sex")  # small audits unchanged
    assert result.table["n"].tolist() == [1500, 1500] and max(fetched) <= 51


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_token_proxies_recoverability_and_audit_on_polars_and_pyarrow_equal_pandas(library):
    frame, sex = _proxy_inputs()
    texts = pd.Series(np.where(sex == "F", "chess club women's python", "chess club python"))
    labels = pd.Series(sex, name="sex")
    if library == "polars":
        pl = pytest.importorskip("polars")
        native_texts, native_labels, native_frame = (
            pl.Series("t", texts.tolist()),
            pl.Series("sex", sex),
            pl.from_pandas(frame),
        )
    else:
        pa = pytest.importorskip("pyarrow")
        native_texts, native_labels, native_frame = (
            pa.chunked_array([texts.tolist()]),
            pa.chunked_array([sex]),
            pa.Table.from_pandas(frame),
        )
    expected = ai.token_proxies(texts, labels, min_count=1).to_frame()
    pd.testing.assert_frame_equal(
        ai.token_proxies(native_texts, native_labels, min_count=1).to_frame(), expected
    )
    numeric = frame[["height", "years"]]
    native_numeric = native_frame.select(["height", "years"])
    assert (
        ai.recoverability(native_numeric, native_labels, random_state=0).roc_auc
        == ai.recoverability(numeric, labels, random_state=0).roc_auc
    )
    audited = frame.assign(sex=sex, selected=(frame["height"] > 0).astype(int))
    native_audited = (
        pytest.importorskip("polars").from_pandas(audited)
        if library == "polars"
        else pytest.importorskip("pyarrow").Table.from_pandas(audited)
    )
    pd.testing.assert_frame_equal(
        ai.audit(native_audited, selected="selected", sensitive_features=["sex", "college"]).table,
        ai.audit(audited, selected="selected", sensitive_features=["sex", "college"]).table,
    )


@pytest.mark.parametrize("library", ["polars", "pyarrow"])
def test_model_audit_sweep_and_error_rates_take_polars_and_pyarrow_attributes(library):
    rng = np.random.default_rng(0)
    n = 200
    labels = pd.DataFrame({"sex": rng.choice(["F", "M"], n), "race": rng.choice(list("ABC"), n)})
    scores, truth = rng.random(n), rng.integers(0, 2, n)
    if library == "polars":
        native = pytest.importorskip("polars").from_pandas(labels)
    else:
        native = pytest.importorskip("pyarrow").Table.from_pandas(labels)
    model = lambda X: np.asarray(X)  # noqa: E731
    got = ai.audit_model(model, scores, native, threshold=0.5, y_true=truth)
    expected = ai.audit_model(model, scores, labels, threshold=0.5, y_true=truth)
    pd.testing.assert_frame_equal(got.table, expected.table)
    pd.testing.assert_frame_equal(got.error_rates, expected.error_rates)
    pd.testing.assert_frame_equal(
        ai.threshold_sweep(scores, sensitive_features=native).to_frame(),
        ai.threshold_sweep(scores, sensitive_features=labels).to_frame(),
    )
    pd.testing.assert_frame_equal(
        ai.error_rates(truth, scores > 0.5, native), ai.error_rates(truth, scores > 0.5, labels)
    )


@pytest.mark.parametrize("name", ["n", "selected", "weight", "weight_selected"])
@pytest.mark.parametrize("library", ["pandas", "arrays", "polars"])
def test_an_attribute_named_like_a_count_column_is_refused_not_miscounted(name, library):
    # A counts table holds labels and counts side by side: an attribute called "n"
    # was read as the count column and audited as one group ("one known group (2)").
    frame = pd.DataFrame({"decision": [1, 0, 1, 1, 0, 1], name: list("aabbcc")})
    if library == "pandas":
        call = lambda: ai.audit(frame, selected="decision", sensitive_features=name)  # noqa: E731
    elif library == "arrays":
        call = lambda: ai.audit(selected=frame["decision"], sensitive_features=frame[name])  # noqa: E731
    else:
        pl = pytest.importorskip("polars")
        call = lambda: ai.audit(pl.from_pandas(frame), selected="decision", sensitive_features=name)  # noqa: E731
    with pytest.raises(
        ai.InputError, match=rf"^sensitive_features: the column '{name}' has the name"
    ):
        call()


def test_a_stratum_named_like_a_count_column_is_refused():
    frame = pd.DataFrame({"decision": [1, 0, 1, 1], "sex": list("abab"), "n": list("xxyy")})
    with pytest.raises(ai.InputError, match=r"^strata: the column 'n' has the name"):
        ai.audit(frame, selected="decision", sensitive_features="sex", strata="n")


def _coded_by_hand(features: dict, unknown: frozenset, intersectional: bool) -> list[tuple]:
    """code_groups' answer, one row at a time: keys in order, codes, unknown rows."""
    names = list(features)
    specs = [(name, (name,)) for name in names]
    if intersectional and len(names) > 1:
        specs.append((" x ".join(names), tuple(names)))
    out = []
    for name, columns in specs:
        rows = list(zip(*(features[c] for c in columns)))
        known = [not any(is_unknown(v, unknown) for v in row) for row in rows]
        keys = sorted({row for row, k in zip(rows, known) if k}, key=sort_key)
        codes = [keys.index(row) if k else len(keys) for row, k in zip(rows, known)]
        out.append((name, tuple(keys), codes, known.count(False)))
    return out


@settings(max_examples=40, deadline=None)
@given(
    labels=st.lists(st.integers(0, 70), min_size=3, max_size=5),
    rows=st.integers(20, 200),
    seed=st.integers(0, 2**32 - 1),
    intersectional=st.booleans(),
)
def test_groups_coded_from_cells_equal_the_groups_coded_row_by_row(
    labels, rows, seed, intersectional
):
    """Cells give each row's group as a row-by-row count does, also when the cross of
    three to five attributes of up to 70 labels is too large to number densely."""
    rng = np.random.default_rng(seed)
    features = {}
    for i, k in enumerate(labels):
        column = rng.integers(0, k + 2, rows).astype(object)
        column[column == k + 1] = None  # missing
        column[:2] = [0, 1]  # two known groups
        features[f"a{i}"] = column.tolist()
    unknown = frozenset({3})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = code_groups(features, unknown=[3], intersectional=intersectional)
        cells = code_cells(features, unknown=[3], intersectional=intersectional)
    expected = _coded_by_hand(features, unknown, intersectional)
    assert [(a.name, a.keys, a.codes.tolist(), a.n_unknown) for a in got] == expected
    from_cells = [a.rows(cells.cells) for a in cells.attributes]
    assert [(a.name, a.keys, a.codes.tolist(), a.n_unknown) for a in from_cells] == expected
    assert cells.n_cells <= max(4 * rows, 1 << 16)
    assert not cells.cells.flags.writeable and not got[0].codes.flags.writeable
