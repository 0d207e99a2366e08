"""Error rates by group (``_audits/_error_rates.py``): hand counts, scikit-learn, fairlearn.

References: scikit-learn's ``confusion_matrix`` per group (the counts), fairlearn
0.15's ``MetricFrame`` and ``equalized_odds_ratio`` (the rates and ratios).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.metrics import confusion_matrix, precision_score

import adverse_impact as ai
from adverse_impact._audits._error_rates import error_rates, rates_from_binary
from adverse_impact._audits._model import audit_model


def by_group(result, attribute=None):
    table = result.table if hasattr(result, "table") else result
    if attribute is not None:
        table = table[table["attribute"] == attribute]
    return table.set_index("group")


SCORES_TIED = np.array([0.9, 0.5, 0.5, 0.1, 0.5, 0.2])
SEX_TIED = np.array(["F", "M", "F", "M", "M", "F"], dtype=object)


def test_error_rates_by_hand():
    # F: positives rows 0-2 (selected 0, 1), negatives rows 3-4 (selected 3).
    # M: positives rows 5-6 (selected none), negatives row 7 (not selected).
    y_true = [1, 1, 1, 0, 0, 1, 1, 0]
    y_pred = [1, 1, 0, 1, 0, 0, 0, 0]
    sex = ["F"] * 5 + ["M"] * 3
    t = by_group(error_rates(y_true, y_pred, {"sex": sex}))
    assert t.loc[
        "F", ["n", "n_positive", "n_negative", "selected", "tp", "fp", "fn", "tn"]
    ].tolist() == [5, 3, 2, 3, 2, 1, 1, 1]
    assert t.loc["M", ["tp", "fp", "fn", "tn"]].tolist() == [0, 0, 2, 1]
    assert t.loc["F", "tpr"] == pytest.approx(2 / 3)
    assert t.loc["F", "fpr"] == pytest.approx(1 / 2)
    assert t.loc["F", "fnr"] == pytest.approx(1 / 3)
    assert t.loc["F", "precision"] == pytest.approx(2 / 3)
    assert t.loc["M", "tpr"] == 0 and t.loc["M", "fpr"] == 0 and t.loc["M", "fnr"] == 1
    assert np.isnan(t.loc["M", "precision"])
    assert "nobody selected: precision undefined" in t.loc["M", "note"]
    # Higher-is-better ratios divide by the highest; lower-is-better by this group.
    assert t.loc["M", "tpr_ratio"] == 0 and t.loc["F", "tpr_ratio"] == 1
    assert t.loc["F", "fpr_ratio"] == 0 and t.loc["M", "fpr_ratio"] == 1
    assert t.loc["F", "fnr_ratio"] == 1 and t.loc["M", "fnr_ratio"] == pytest.approx(1 / 3)
    assert t.loc["F", "precision_ratio"] == 1 and np.isnan(t.loc["M", "precision_ratio"])


def test_error_rates_nan_with_a_note_when_a_denominator_is_zero():
    y_true = [1, 1, 0, 0, 0, 0]
    y_pred = [1, 0, 1, 0, 0, 0]
    sex = ["F", "F", "F", "M", "M", "M"]  # M has no actual positive, nobody selected
    t = by_group(error_rates(y_true, y_pred, {"sex": sex}))
    assert np.isnan(
        t.loc["M", ["tpr", "fnr", "precision", "tpr_ratio", "fnr_ratio"]].astype(float)
    ).all()
    assert t.loc["M", "fpr"] == 0 and t.loc["M", "fpr_ratio"] == 1
    assert t.loc["M", "note"].startswith("no actual positives: tpr and fnr undefined")
    assert t.loc["F", "tpr_ratio"] == 1 and t.loc["F", "fnr_ratio"] == 1


def test_error_rates_highest_tpr_zero_gives_no_ratio():
    t = by_group(error_rates([1, 0, 1, 0], [0, 1, 0, 0], {"sex": ["F", "F", "M", "M"]}))
    assert (t["tpr"] == 0).all() and t["tpr_ratio"].isna().all()
    assert "no tpr_ratio: the highest tpr is 0" in t.loc["F", "note"]


def test_error_rates_labels_unknown_and_intersection_match_the_audit(two_attributes):
    data = two_attributes.assign(
        race=two_attributes["race"].where(two_attributes.index % 50 != 0, "Declined")
    )
    rates = error_rates(
        data["advanced"], (data["score"] > 0).astype(int), data[["sex", "race"]], unknown="Declined"
    )
    audited = ai.audit(
        selected=(data["score"] > 0).astype(int),
        sensitive_features=data[["sex", "race"]],
        unknown="Declined",
    )
    assert rates[["attribute", "group", "n"]].equals(audited.table[["attribute", "group", "n"]])
    assert rates.attrs["unknown"] == dict(audited.unknown)
    assert "Female | Asian" in set(rates["group"])


def test_error_rates_string_labels_and_bad_labels():
    t = by_group(
        error_rates(
            ["yes", "no", "yes", "no"],
            ["yes", "yes", "no", "no"],
            {"g": ["a", "a", "b", "b"]},
            pos_label="yes",
        )
    )
    assert t["tpr"].tolist() == [1.0, 0.0]
    with pytest.raises(ai.InputError, match=r"^pos_label: 1 does not occur in y_true"):
        error_rates(["yes", "no"], [1, 0], {"g": ["a", "b"]})
    with pytest.raises(ai.InputError, match=r"^y_true: has 3 distinct labels"):
        error_rates([0, 1, 2], [0, 1, 1], {"g": ["a", "b", "b"]})
    with pytest.raises(ai.InputError, match=r"^y_pred: 1 label\(s\) are missing"):
        error_rates([0, 1, 1], [0, None, 1], {"g": ["a", "b", "b"]})
    with pytest.raises(ai.InputError, match=r"y_true has 3, y_pred has 2"):
        error_rates([0, 1, 1], [0, 1], {"g": ["a", "b", "b"]})
    # 0/1 outcomes with one class absent are valid: nobody qualified.
    assert by_group(error_rates([0, 0], [0, 1], {"g": ["a", "b"]}))["n_positive"].sum() == 0


def _fairlearn_by_group(y_true, y_pred, features, sample_weight=None):
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        true_positive_rate,
    )

    metrics = {
        "tpr": functools.partial(true_positive_rate, pos_label=1),
        "fpr": functools.partial(false_positive_rate, pos_label=1),
        "fnr": functools.partial(false_negative_rate, pos_label=1),
        "precision": functools.partial(precision_score, pos_label=1, zero_division=np.nan),
    }
    params = None
    if sample_weight is not None:
        params = {k: {"sample_weight": sample_weight} for k in metrics}
    frame = MetricFrame(
        metrics=metrics,
        y_true=y_true,
        y_pred=y_pred,
        sensitive_features=features,
        sample_params=params,
    )
    table = frame.by_group
    if isinstance(table.index, pd.MultiIndex):
        table.index = [" | ".join(map(str, k)) for k in table.index]
    return table


LABELS = st.lists(
    st.tuples(
        st.integers(0, 1),
        st.integers(0, 1),
        st.sampled_from("FM"),
        st.sampled_from("ABC"),
        st.integers(1, 3),
    ),
    min_size=2,
    max_size=80,
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=LABELS, weighted=st.booleans())
def test_error_rates_equal_fairlearn_metricframe(rows, weighted):
    """Reference: fairlearn 0.15 MetricFrame with true/false positive and false negative
    rates and sklearn's precision_score, per attribute and for the intersection."""
    y_true, y_pred, sex, race, weight = (np.array(c) for c in zip(*rows))
    sw = weight.astype(float) if weighted else None
    features = pd.DataFrame({"sex": sex, "race": race})
    ours = error_rates(y_true, y_pred, features, sample_weight=sw)
    for attribute, columns in [
        ("sex", ["sex"]),
        ("race", ["race"]),
        ("sex x race", ["sex", "race"]),
    ]:
        mine = by_group(ours, attribute)
        theirs = _fairlearn_by_group(
            y_true,
            y_pred,
            features[columns].squeeze(axis=1) if len(columns) == 1 else features[columns],
            sw,
        )
        # fairlearn lists every combination of labels; the empty ones are all NaN.
        assert set(mine.index) <= set(theirs.index)
        assert theirs.drop(index=list(mine.index)).isna().all().all()
        for group in mine.index:
            row = mine.loc[group]
            # fairlearn reports 0 where the denominator is empty; compare where defined.
            if row["n_positive"]:
                assert row["tpr"] == pytest.approx(theirs.loc[group, "tpr"], abs=1e-12)
                assert row["fnr"] == pytest.approx(theirs.loc[group, "fnr"], abs=1e-12)
            else:
                assert np.isnan(row["tpr"]) and np.isnan(row["fnr"])
            if row["n_negative"]:
                assert row["fpr"] == pytest.approx(theirs.loc[group, "fpr"], abs=1e-12)
            if row["selected"]:
                assert row["precision"] == pytest.approx(theirs.loc[group, "precision"], abs=1e-12)
            else:
                assert np.isnan(row["precision"]) and np.isnan(theirs.loc[group, "precision"])


@settings(max_examples=20, deadline=None)
@given(rows=LABELS)
def test_min_ratio_equals_fairlearn_equalized_odds_ratio(rows):
    """Reference: fairlearn.metrics.equalized_odds_ratio (between_groups, worst_case),
    and its two components from MetricFrame.ratio()."""
    from fairlearn.metrics import equalized_odds_ratio

    y_true, y_pred, sex, race, _ = (np.array(c) for c in zip(*rows))
    ours = error_rates(y_true, y_pred, {"sex": sex, "race": race})
    for attribute, features in [
        ("sex", sex),
        ("race", race),
        ("sex x race", pd.DataFrame({"sex": sex, "race": race})),
    ]:
        mine = by_group(ours, attribute)
        if (mine["n_positive"] == 0).any() or (mine["n_negative"] == 0).any():
            continue  # fairlearn counts an empty denominator as a rate of 0
        theirs = _fairlearn_by_group(y_true, y_pred, features)
        with np.errstate(invalid="ignore"):
            tpr_ratio = theirs["tpr"].min() / theirs["tpr"].max()
            fpr_ratio = theirs["fpr"].min() / theirs["fpr"].max()
        if not np.isnan(tpr_ratio):
            assert mine["tpr_ratio"].min() == pytest.approx(tpr_ratio, abs=1e-12)
        else:
            assert mine["tpr_ratio"].isna().all()
        if not np.isnan(fpr_ratio):
            assert mine["fpr_ratio"].min() == pytest.approx(fpr_ratio, abs=1e-12)
        else:  # no group has a false positive: every group is the best, ratio 1
            assert (mine["fpr_ratio"] == 1).all()
        if not (np.isnan(tpr_ratio) or np.isnan(fpr_ratio)):
            eo = equalized_odds_ratio(y_true, y_pred, sensitive_features=features)
            assert min(mine["tpr_ratio"].min(), mine["fpr_ratio"].min()) == pytest.approx(
                eo, abs=1e-12
            )


def test_error_rates_warn_once_about_unknown_labels_that_match_nothing():
    with pytest.warns(UserWarning, match="unknown: the label") as caught:
        error_rates([1, 0], [1, 0], {"sex": ["F", "M"]}, unknown="Declined")
    with pytest.warns(UserWarning, match="unknown: the label") as caught_model:
        audit_model(
            lambda X: np.asarray(X),
            SCORES_TIED,
            {"sex": SEX_TIED},
            threshold=0.5,
            y_true=[1, 0, 1, 0, 1, 0],
            unknown="Declined",
        )
    assert len(caught) == 1 and len(caught_model) == 1


# -- the module's own behaviour against scikit-learn ----------------------------------


def _random_labels(seed, n=400):
    rng = np.random.default_rng(seed)
    sex = rng.choice(np.array(["F", "M"], dtype=object), n)
    race = rng.choice(np.array(["A", "B", "C"], dtype=object), n, p=[0.5, 0.3, 0.2])
    y_true = (rng.random(n) < 0.4).astype(int)
    y_pred = (rng.random(n) < np.where(sex == "F", 0.3, 0.5)).astype(int)
    return y_true, y_pred, sex, race


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_per_group_are_sklearns_confusion_matrix(seed):
    """Reference: sklearn.metrics.confusion_matrix(labels=[0, 1]) on each group's rows."""
    y_true, y_pred, sex, race = _random_labels(seed)
    table = error_rates(y_true, y_pred, {"sex": sex, "race": race})
    members = {("sex", g): sex == g for g in ("F", "M")} | {
        ("race", g): race == g for g in ("A", "B", "C")
    }
    members |= {("sex x race", f"{s} | {r}"): (sex == s) & (race == r) for s in "FM" for r in "ABC"}
    assert len(table) == len(members)
    for row in table.itertuples():
        rows = members[(row.attribute, row.group)]
        (tn, fp), (fn, tp) = confusion_matrix(y_true[rows], y_pred[rows], labels=[0, 1])
        assert (row.tp, row.fp, row.fn, row.tn) == (tp, fp, fn, tn), (row.attribute, row.group)
        assert row.n == rows.sum() and row.n_positive == tp + fn and row.selected == tp + fp
        assert row.tpr == pytest.approx(tp / (tp + fn), abs=1e-15)
        assert row.fpr == pytest.approx(fp / (fp + tn), abs=1e-15)
        assert row.fnr == pytest.approx(fn / (tp + fn), abs=1e-15)
        assert row.precision == pytest.approx(tp / (tp + fp), abs=1e-15)


def test_weighted_rates_are_sklearns_weighted_confusion_matrix_and_counts_stay_rows():
    y_true, y_pred, sex, _ = _random_labels(5, n=300)
    weight = np.random.default_rng(6).integers(1, 5, len(sex)) / 4
    table = by_group(error_rates(y_true, y_pred, {"sex": sex}, sample_weight=weight))
    for g in ("F", "M"):
        rows = sex == g
        (tn, fp), (fn, tp) = confusion_matrix(
            y_true[rows], y_pred[rows], labels=[0, 1], sample_weight=weight[rows]
        )
        assert table.loc[g, "tpr"] == pytest.approx(tp / (tp + fn), abs=1e-12)
        assert table.loc[g, "fpr"] == pytest.approx(fp / (fp + tn), abs=1e-12)
        # The count columns are people, not weights.
        assert table.loc[g, "n"] == rows.sum()
        assert table.loc[g, "tp"] == int(((y_true == 1) & (y_pred == 1) & rows).sum())


def test_intersectional_false_leaves_out_the_crossed_attribute():
    y_true, y_pred, sex, race = _random_labels(3)
    crossed = error_rates(y_true, y_pred, {"sex": sex, "race": race})
    flat = error_rates(y_true, y_pred, {"sex": sex, "race": race}, intersectional=False)
    assert set(crossed["attribute"]) == {"sex", "race", "sex x race"}
    assert list(flat["attribute"].unique()) == ["sex", "race"]
    pd.testing.assert_frame_equal(
        flat, crossed[crossed["attribute"] != "sex x race"].reset_index(drop=True)
    )


def test_rates_from_binary_is_the_table_without_the_label_checks_and_can_stay_quiet():
    y_true, y_pred, sex, _ = _random_labels(4, n=60)
    direct = rates_from_binary(
        y_true.astype(bool),
        y_pred.astype(bool),
        {"sex": sex},
        unknown=None,
        intersectional=True,
        sample_weight=None,
    )
    pd.testing.assert_frame_equal(direct, error_rates(y_true, y_pred, {"sex": sex}))
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # warn=False: the caller has already warned
        rates_from_binary(
            y_true.astype(bool),
            y_pred.astype(bool),
            {"sex": sex},
            unknown="Declined",
            intersectional=True,
            sample_weight=None,
            warn=False,
        )
    with pytest.warns(UserWarning, match="unknown: the label"):
        error_rates(y_true, y_pred, {"sex": sex}, unknown="Declined")


def test_ratios_are_exact_fractions_until_the_end():
    # tpr 1/10 against 3/10: in floats 0.1 / 0.3 is 0.33333333333333337; the ratio of
    # the exact fractions, 1/3, rounds to 0.3333333333333333 (the impact ratio's rule).
    y_true = [1] * 20
    y_pred = [1] + [0] * 9 + [1] * 3 + [0] * 7
    t = by_group(error_rates(y_true, y_pred, {"g": ["a"] * 10 + ["b"] * 10}))
    assert 0.1 / 0.3 != 1 / 3
    assert t.loc["a", "tpr_ratio"] == 1 / 3
    # fnr 9/10 against the lowest, 7/10: 7/9, where 0.7 / 0.9 is one bit below it.
    assert 0.7 / 0.9 != 7 / 9
    assert t.loc["a", "fnr_ratio"] == 7 / 9 and t.loc["b", "fnr_ratio"] == 1
