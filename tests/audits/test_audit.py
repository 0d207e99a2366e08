"""The selection-rate audit: rates, ratios, the four-fifths rule, LL144 conventions."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from _helpers import applicants
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact.datasets import load_eeoc_example


def rows(result, attribute=None):
    table = result.table
    if attribute is not None:
        table = table[table["attribute"] == attribute]
    return table.set_index("group")


# -- published worked examples ------------------------------------------------


def test_eeoc_2023_technical_assistance_example():
    """EEOC, "Select Issues: Assessing Adverse Impact in Software, Algorithms, and
    Artificial Intelligence Used in Employment Selection Procedures Under Title VII"
    (18 May 2023): 48 of 80 White and 12 of 40 Black applicants advance; 60% vs 30%;
    30/60 = 50% is below four-fifths.  The same numbers illustrate UGESP Q&A 12."""
    result = ai.audit(load_eeoc_example(), selected="advanced", sensitive_features="race")
    t = rows(result)
    assert t.loc["White", "rate"] == pytest.approx(0.60)
    assert t.loc["Black", "rate"] == pytest.approx(0.30)
    assert t.loc["Black", "impact_ratio"] == pytest.approx(0.50)
    assert bool(t.loc["Black", "four_fifths_flag"]) is True
    assert bool(t.loc["White", "is_reference"]) is True
    assert result.passes() is False
    assert list(result.flagged()["group"]) == ["Black"]


def test_uniform_guidelines_qa11_example_with_exact_boundary():
    """UGESP Questions and Answers (44 FR 11996, 1979), Q&A 11: hiring rates of 60%
    (whites), 45% (American Indians), 48% (Hispanics), 51% (Blacks) give impact
    ratios 75%, 80% and 85%; adverse impact is indicated for American Indians but
    not for Hispanics (exactly 80%) or Blacks."""
    data = applicants(
        {
            "White": (60, 100),
            "American Indian": (45, 100),
            "Hispanic": (48, 100),
            "Black": (51, 100),
        }
    )
    t = rows(ai.audit(data, selected="selected", sensitive_features="group"))
    assert t["impact_ratio"].to_dict() == pytest.approx(
        {"American Indian": 0.75, "Black": 0.85, "Hispanic": 0.80, "White": 1.0}
    )
    assert t["four_fifths_flag"].to_dict() == {
        "American Indian": True,
        "Black": False,
        "Hispanic": False,
        "White": False,
    }


def test_four_fifths_boundary_is_exact_where_floats_are_not():
    # (3/5) / (3/4) is exactly 4/5 but 0.7999999999999999 in floating point.
    assert (3 / 5) / (3 / 4) < 0.8
    data = applicants({"a": (3, 5), "b": (3, 4)})
    result = ai.audit(data, selected="selected", sensitive_features="group")
    t = rows(result)
    assert result.exact_ratios[0] == Fraction(4, 5)
    assert bool(t.loc["a", "four_fifths_flag"]) is False
    assert result.passes() is True
    assert result.passes(min_ratio=0.81) is False
    # One fewer selection in the larger group crosses the line.
    result = ai.audit(
        applicants({"a": (59, 100), "b": (74, 100)}),
        selected="selected",
        sensitive_features="group",
    )
    assert bool(rows(result).loc["a", "four_fifths_flag"]) is True


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 30)), min_size=2, max_size=5))
def test_flag_matches_exact_rational_comparison(cells):
    cells = [(min(s, n), n) for s, n in cells]
    data = applicants({f"g{i}": c for i, c in enumerate(cells)})
    result = ai.audit(data, selected="selected", sensitive_features="group")
    rates = [Fraction(s, n) for s, n in cells]
    best = max(rates)
    for (_, row), rate in zip(result.table.iterrows(), rates):
        if best == 0:
            # No ratio is defined: the flag is "not judged" (NA), not False.
            assert np.isnan(row["impact_ratio"]) and pd.isna(row["four_fifths_flag"])
        else:
            assert row["four_fifths_flag"] == (rate / best < Fraction(4, 5))
            assert 0 <= row["impact_ratio"] <= 1
    assert result.table["is_reference"].sum() == 1


# -- agreement with fairlearn -------------------------------------------------

labels = st.sampled_from(["a", "b", "c"])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(labels, st.sampled_from(["x", "y"]), st.booleans()), min_size=4, max_size=80)
)
def test_selection_rates_and_ratio_agree_with_fairlearn(data):
    from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate

    g1, g2, y = (list(v) for v in zip(*data))
    if len(set(g1)) < 2:
        return
    y = np.array(y, dtype=int)
    ours = ai.selection_rates(y, {"g1": g1})
    frame = MetricFrame(
        metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=pd.Series(g1, name="g1")
    )
    pd.testing.assert_series_equal(
        ours, frame.by_group.astype(float), check_names=False, check_index_type=False
    )
    if y.sum() > 0:
        expected = demographic_parity_ratio(y, y, sensitive_features=g1)
        assert ai.impact_ratios(y, {"g1": g1}).min() == pytest.approx(expected, abs=1e-12)
    # Two attributes: fairlearn's by_group is over the intersection, like ours.
    both = pd.DataFrame({"g1": g1, "g2": g2})
    frame = MetricFrame(metrics=selection_rate, y_true=y, y_pred=y, sensitive_features=both)
    ours = ai.selection_rates(y, both)
    expected = frame.by_group.dropna().astype(float)
    pd.testing.assert_series_equal(
        ours.sort_index(), expected.sort_index(), check_names=False, check_index_type=False
    )


# -- invariances ----------------------------------------------------------------


def test_row_order_does_not_matter(two_attributes, rng):
    a = ai.audit(two_attributes, selected="advanced", sensitive_features=["sex", "race"])
    shuffled = two_attributes.sample(frac=1, random_state=1).reset_index(drop=True)
    b = ai.audit(shuffled, selected="advanced", sensitive_features=["sex", "race"])
    pd.testing.assert_frame_equal(a.table, b.table)
    assert dict(a.unknown) == dict(b.unknown)


def test_relabelling_groups_relabels_rows(two_attributes):
    a = ai.audit(two_attributes, selected="advanced", sensitive_features="race")
    mapping = {
        "White": "W",
        "Black or African American": "B",
        "Asian": "A",
        "Hispanic or Latino": "H",
    }
    renamed = two_attributes.assign(race=two_attributes["race"].map(mapping))
    b = ai.audit(renamed, selected="advanced", sensitive_features="race")
    left = a.table.assign(group=a.table["group"].map(mapping)).set_index("group").sort_index()
    right = b.table.set_index("group").sort_index()
    pd.testing.assert_frame_equal(left, right, check_index_type=False)


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 5))
def test_replicating_every_row_keeps_rates_and_ratios(k):
    data = applicants({"a": (3, 7), "b": (5, 6), "c": (0, 2)})
    a = ai.audit(data, selected="selected", sensitive_features="group")
    b = ai.audit(
        pd.concat([data] * k, ignore_index=True), selected="selected", sensitive_features="group"
    )
    assert list(b.table["n"]) == [k * n for n in a.table["n"]]
    for col in ["rate", "impact_ratio", "four_fifths_flag", "is_reference"]:
        pd.testing.assert_series_equal(a.table[col], b.table[col])
    # Integer weights are the same as replicated rows.
    w = ai.audit(
        data.assign(w=k), selected="selected", sensitive_features="group", sample_weight="w"
    )
    pd.testing.assert_series_equal(w.table["rate"], b.table["rate"])
    assert list(w.table["n_weighted"]) == [float(k * n) for n in a.table["n"]]


# -- unknown, excluded, intersectional ------------------------------------------


def test_unknown_rows_counted_per_attribute_and_left_out(two_attributes):
    data = two_attributes.copy()
    data.loc[:9, "race"] = "Declined"
    result = ai.audit(
        data, selected="advanced", sensitive_features=["sex", "race"], unknown="Declined"
    )
    n_sex_missing = int(data["sex"].isna().sum())
    assert result.unknown["sex"] == n_sex_missing
    assert result.unknown["race"] == 10
    either = int((data["sex"].isna() | (data["race"] == "Declined")).sum())
    assert result.unknown["sex x race"] == either
    t = result.table
    for attribute, n_unknown in result.unknown.items():
        assert t.loc[t.attribute == attribute, "n"].sum() + n_unknown == len(data)
    assert "Declined" not in set(t["group"])


def test_blank_and_whitespace_labels_are_unknown():
    data = pd.DataFrame(
        {"g": ["a", "b", "", "  ", None, np.nan, "a", "b"], "s": [1, 0, 1, 1, 1, 1, 0, 1]}
    )
    result = ai.audit(data, selected="s", sensitive_features="g")
    assert result.unknown["g"] == 4
    assert sorted(result.table["group"]) == ["a", "b"]


def test_min_share_excludes_small_groups_but_reports_them():
    data = applicants({"big": (40, 100), "mid": (30, 100), "tiny": (3, 3)})
    result = ai.audit(data, selected="selected", sensitive_features="group", min_share=0.02)
    t = rows(result)
    assert bool(t.loc["tiny", "excluded"]) is True
    assert t.loc["tiny", "n"] == 3 and t.loc["tiny", "rate"] == 1.0
    assert np.isnan(t.loc["tiny", "impact_ratio"])
    assert "min_share" in t.loc["tiny", "note"]
    # tiny has the highest rate but cannot be the reference.
    assert bool(t.loc["big", "is_reference"]) is True
    assert t.loc["mid", "impact_ratio"] == pytest.approx(0.75)
    # 3/203 is below 2%: exactly 2% stays in.
    edge = applicants({"a": (10, 49), "b": (1, 1)})
    assert (
        bool(
            rows(
                ai.audit(edge, selected="selected", sensitive_features="group", min_share=0.02)
            ).loc["b", "excluded"]
        )
        is False
    )


def test_intersectional_labels_and_attribute_name(two_attributes):
    result = ai.audit(two_attributes, selected="advanced", sensitive_features=["sex", "race"])
    inter = result.table[result.table["attribute"] == "sex x race"]
    assert "Female | Black or African American" in set(inter["group"])
    assert len(inter) == 8
    assert result.attributes == ("sex", "race", "sex x race")
    single = ai.audit(
        two_attributes,
        selected="advanced",
        sensitive_features=["sex", "race"],
        intersectional=False,
    )
    assert single.attributes == ("sex", "race")


def test_three_attributes_audit_the_full_intersection(two_attributes, rng):
    data = two_attributes.assign(age=rng.choice(["<40", "40+"], len(two_attributes)))
    result = ai.audit(data, selected="advanced", sensitive_features=["sex", "race", "age"])
    assert result.attributes[-1] == "sex x race x age"
    labels = result.table.loc[result.table.attribute == "sex x race x age", "group"]
    assert all(label.count(" | ") == 2 for label in labels)


# -- scores: threshold and the LL144 scoring rate -------------------------------


def test_threshold_selects_at_or_above_cutoff():
    data = pd.DataFrame({"g": ["a", "a", "b", "b"], "s": [0.5, 0.49, 0.5, 0.9]})
    t = rows(ai.audit(data, score="s", threshold=0.5, sensitive_features="g"))
    assert t.loc["a", "selected"] == 1 and t.loc["b", "selected"] == 2


def test_scoring_rate_is_strictly_above_median_of_full_sample():
    # Median of all six scores (unknown included) is 2; ties at 2 are not above it.
    data = pd.DataFrame({"g": ["a", "a", "a", "b", "b", None], "s": [1, 2, 3, 2, 2, 5]})
    result = ai.audit(data, score="s", sensitive_features="g")
    t = rows(result)
    assert result.params["cutoff"] == 2.0 and result.params["rule"] == "scoring_rate"
    assert t.loc["a", "selected"] == 1 and t.loc["b", "selected"] == 0
    assert t.loc["a", "rate"] == pytest.approx(1 / 3)
    assert result.unknown["g"] == 1


def test_scoring_rate_median_includes_unknown_rows():
    # Without the unknown row the median would be 2.5 and "b" would score 0.
    data = pd.DataFrame({"g": ["a", "a", "b", "b", None], "s": [1, 2, 3, 4, 0]})
    result = ai.audit(data, score="s", sensitive_features="g")
    assert result.params["cutoff"] == 2.0
    assert rows(result).loc["b", "selected"] == 2


# -- reference group ------------------------------------------------------------


def test_reference_label_and_dict():
    data = applicants({"a": (5, 10), "b": (8, 10), "c": (2, 10)})
    t = rows(ai.audit(data, selected="selected", sensitive_features="group", reference="a"))
    assert bool(t.loc["a", "is_reference"]) and t.loc["b", "impact_ratio"] == pytest.approx(1.6)
    t = rows(
        ai.audit(data, selected="selected", sensitive_features="group", reference={"group": "c"})
    )
    assert t.loc["a", "impact_ratio"] == pytest.approx(2.5)


def test_tied_highest_rates_pick_one_reference_and_give_both_ratio_one():
    data = applicants({"a": (5, 10), "b": (1, 2), "c": (1, 10)})
    t = rows(ai.audit(data, selected="selected", sensitive_features="group"))
    assert t["is_reference"].sum() == 1 and bool(t.loc["a", "is_reference"])
    assert t.loc["b", "impact_ratio"] == 1.0


def test_zero_rates_give_nan_ratio_with_reason_not_error():
    data = applicants({"a": (0, 10), "b": (0, 5)})
    result = ai.audit(data, selected="selected", sensitive_features="group")
    assert result.table["impact_ratio"].isna().all()
    assert result.table["note"].str.contains("rate is 0").all()
    assert not result.table["four_fifths_flag"].any()
    data = applicants({"a": (0, 10), "b": (3, 5)})
    t = rows(ai.audit(data, selected="selected", sensitive_features="group", reference="a"))
    assert np.isnan(t.loc["b", "impact_ratio"])


# -- results: immutable and printable -------------------------------------------


def test_result_is_immutable_and_table_is_a_copy(two_attributes):
    result = ai.audit(two_attributes, selected="advanced", sensitive_features="sex")
    with pytest.raises(AttributeError):
        result.n_total = 3
    copy = result.table
    copy.loc[0, "rate"] = 99
    assert result.table.loc[0, "rate"] != 99
    unknown = result.unknown  # a plain dict that reads as one, and a copy
    assert type(unknown) is dict and repr(unknown).startswith("{'sex': ")
    unknown["sex"] = -1
    assert result.unknown["sex"] != -1


def test_repr_html_and_dict(two_attributes):
    result = ai.audit(two_attributes, selected="advanced", sensitive_features=["sex", "race"])
    text = repr(result)
    assert text.startswith("AuditResult: ") and "Female | Asian" in text
    assert "unknown: sex" in text
    html = result._repr_html_()
    assert "<table" in html and "Female" in html
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["n_total"] == len(two_attributes)
    assert len(payload["table"]) == len(result.table)
    assert payload["unknown"]["sex"] == result.unknown["sex"]
    pd.testing.assert_frame_equal(result.to_frame(), result.table)


# -- array input ----------------------------------------------------------------


def test_array_inputs_match_dataframe_input(two_attributes):
    d = two_attributes
    a = ai.audit(d, selected="advanced", sensitive_features=["sex", "race"])
    b = ai.audit(
        selected=d["advanced"].to_numpy(),
        sensitive_features={"sex": d["sex"].to_numpy(), "race": d["race"].to_numpy()},
    )
    c = ai.audit(selected=d["advanced"], sensitive_features=d[["sex", "race"]])
    pd.testing.assert_frame_equal(a.table, b.table)
    pd.testing.assert_frame_equal(a.table, c.table)


def test_boolean_and_float_decisions_are_accepted():
    g = ["a", "a", "b", "b"]
    for sel in (
        [True, False, True, True],
        [1.0, 0.0, 1.0, 1.0],
        pd.array([True, False, True, True], dtype="boolean"),
    ):
        assert list(ai.audit(selected=sel, sensitive_features=g).table["selected"]) == [1, 2]


def test_polars_and_pyarrow_give_identical_tables(two_attributes):
    pl = pytest.importorskip("polars")
    pa = pytest.importorskip("pyarrow")
    expected = ai.audit(
        two_attributes, selected="advanced", sensitive_features=["sex", "race"]
    ).table
    for frame in (
        pl.from_pandas(two_attributes),
        pl.from_pandas(two_attributes).lazy(),
        pa.Table.from_pandas(two_attributes),
    ):
        got = ai.audit(frame, selected="advanced", sensitive_features=["sex", "race"]).table
        pd.testing.assert_frame_equal(got, expected)
        scored = ai.audit(frame, score="score", sensitive_features="sex").table
        pd.testing.assert_frame_equal(
            scored, ai.audit(two_attributes, score="score", sensitive_features="sex").table
        )


def test_categorical_groups_with_unused_categories():
    g = pd.Categorical(["a", "b", "a", "b"], categories=["a", "b", "never"])
    result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"g": g})
    assert list(result.table["group"]) == ["a", "b"]


# -- errors name the argument, the problem and the fix ---------------------------


@pytest.mark.parametrize(
    "kwargs, argument, phrase",
    [
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b"]),
            "inputs",
            "inconsistent numbers of rows",
        ),
        (dict(selected=[0.2, 0.9, 0.4], sensitive_features=["a", "b", "b"]), "selected", "score="),
        (dict(selected=[0, 2, 1], sensitive_features=["a", "b", "b"]), "selected", "0/1"),
        (
            dict(selected=["yes", "no", "yes"], sensitive_features=["a", "b", "b"]),
            "selected",
            "map",
        ),
        (dict(selected=[1, None, 0], sensitive_features=["a", "b", "b"]), "selected", "missing"),
        (dict(selected=[], sensitive_features=[]), "data", "no rows"),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "a", "a"]),
            "sensitive_features",
            "one known group",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=[None, None, None]),
            "sensitive_features",
            "no known group",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], min_share=1.5),
            "min_share",
            "(0, 1)",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], min_share=0),
            "min_share",
            "(0, 1)",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], reference="z"),
            "reference",
            "not a group",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], reference={"x": "a"}),
            "reference",
            "not an audited attribute",
        ),
        (
            dict(
                selected=[1, 0, 1], sensitive_features={"g": ["a", "b", "b"]}, reference={"g": "z"}
            ),
            "reference",
            "not a known group",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], sample_weight=[1, -1, 1]),
            "sample_weight",
            "negative",
        ),
        (
            dict(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], sample_weight=[0, 0, 0]),
            "sample_weight",
            "zero",
        ),
        (
            dict(
                selected=[1, 0, 1], sensitive_features=["a", "b", "b"], sample_weight=[1, np.nan, 1]
            ),
            "sample_weight",
            "NaN",
        ),
        (dict(score=[0.1, np.nan, 0.3], sensitive_features=["a", "b", "b"]), "score", "NaN"),
        (
            dict(selected=[1, 0, 1], score=[1, 2, 3], sensitive_features=["a", "b", "b"]),
            "selected",
            "both",
        ),
        (dict(sensitive_features=["a", "b", "b"]), "selected", "neither"),
        (
            dict(selected=[1, 0, 1], threshold=0.5, sensitive_features=["a", "b", "b"]),
            "threshold",
            "scores",
        ),
    ],
)
def test_bad_input_raises_named_error(kwargs, argument, phrase):
    with pytest.raises(ai.AdverseImpactError) as info:
        ai.audit(**kwargs)
    message = str(info.value)
    assert message.startswith(argument) and phrase in message
    assert isinstance(info.value, (ValueError, TypeError))


def test_id_like_group_column_is_refused():
    n = 5_000
    with pytest.raises(ai.InputError, match="looks like an ID"):
        ai.audit(selected=np.zeros(n), sensitive_features={"applicant_id": np.arange(n)})


def test_column_names_without_data_and_missing_columns():
    with pytest.raises(ai.InputTypeError, match="data is None"):
        ai.audit(selected="advanced", sensitive_features="sex")
    data = pd.DataFrame({"sex": ["a", "b"], "advanced": [1, 0]})
    with pytest.raises(ai.InputError, match="'race' is not in data"):
        ai.audit(data, selected="advanced", sensitive_features="race")
    dup = pd.DataFrame([[1, "a", "b"]], columns=["s", "g", "g"])
    with pytest.raises(ai.InputError, match="duplicate column"):
        ai.audit(dup, selected="s", sensitive_features="g")


def test_misaligned_pandas_indexes_are_refused():
    sel = pd.Series([1, 0, 1], index=[0, 1, 2])
    grp = pd.Series(["a", "b", "b"], index=[2, 1, 0])
    with pytest.raises(ai.InputError, match="index"):
        ai.audit(selected=sel, sensitive_features=grp)


def test_near_duplicate_labels_warn_but_are_not_merged():
    with pytest.warns(UserWarning, match="differ only in case"):
        result = ai.audit(
            selected=[1, 0, 1, 1], sensitive_features=["Female", "female ", "Male", "Male"]
        )
    assert len(result.table) == 3


def test_unknown_label_that_never_occurs_warns():
    with pytest.warns(UserWarning, match="occur in no audited column"):
        ai.audit(selected=[1, 0, 1], sensitive_features=["a", "b", "b"], unknown="Unkown")


def test_clean_input_raises_no_warning(two_attributes):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ai.audit(two_attributes, selected="advanced", sensitive_features=["sex", "race"])


def test_selection_rates_and_impact_ratios_series():
    rates = ai.selection_rates([1, 0, 1, 1, 0, 0], {"sex": ["F", "F", "M", "M", "X", None]})
    assert rates.to_dict() == {"F": 0.5, "M": 1.0, "X": 0.0}
    ratios = ai.impact_ratios(
        [1, 0, 1, 1, 0, 0], {"sex": ["F", "F", "M", "M", "X", None]}, reference="F"
    )
    assert ratios.to_dict() == {"F": 1.0, "M": 2.0, "X": 0.0}
    multi = ai.impact_ratios(
        [1, 0, 1, 1], {"a": ["x", "x", "y", "y"], "b": [1, 2, 1, 2]}, reference=("y", 1)
    )
    assert multi.index.names == ["a", "b"] and multi[("x", 1)] == 1.0


def test_min_share_is_a_share_of_known_rows_not_of_all_rows():
    # 97 A and 3 B known (B is 3% of known rows), 100 unknown (B is 1.5% of all rows):
    # at min_share=0.02 (NYC's 2% rule, 6 RCNY 5-301), B stays in.
    groups = ["A"] * 97 + ["B"] * 3 + [None] * 100
    selected = [1, 0] * 100
    result = ai.audit(selected=selected, sensitive_features={"g": groups}, min_share=0.02)
    table = result.table.set_index("group")
    assert not table.loc["B", "excluded"]
    assert table.loc["B", "share"] == pytest.approx(0.03)
    # and at 4% it is excluded, with the share of known rows in the note
    excluded = ai.audit(selected=selected, sensitive_features={"g": groups}, min_share=0.04)
    note = excluded.table.set_index("group").loc["B", "note"]
    assert excluded.table.set_index("group").loc["B", "excluded"] and "3.00%" in note


def test_min_share_of_an_intersection_is_a_share_of_its_known_rows():
    # Sibling: a row is unknown for the intersection when either label is; the base
    # is the intersection's own known rows.
    sex = ["F"] * 48 + ["M"] * 48 + ["F", "F"] + [None] * 100
    race = ["A"] * 96 + ["B", "B"] + ["A"] * 100
    result = ai.audit(
        selected=[1, 0] * 99, sensitive_features={"sex": sex, "race": race}, min_share=0.015
    )
    table = result.table[result.table["attribute"] == "sex x race"].set_index("group")
    assert table.loc["F | B", "share"] == pytest.approx(2 / 98)
    assert not table.loc["F | B", "excluded"]
