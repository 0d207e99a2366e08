"""Checking published summaries: recomputed from their counts, findings in plain words."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import adverse_impact as ai


def published(result: ai.AuditResult, digits: int = 2) -> pd.DataFrame:
    """A result rounded to `digits` decimals the way a summary is published, unknown rows too."""
    rows = []
    for attribute in result.attributes:
        block = result.table[result.table["attribute"] == attribute]
        for row in block.itertuples(index=False):
            ratio = (
                ""
                if row.excluded or np.isnan(row.impact_ratio)
                else f"{row.impact_ratio:.{digits}f}"
            )
            rows.append(
                {
                    "attribute": attribute,
                    "group": str(row.group),
                    "n": str(row.n),
                    "selected": str(row.selected),
                    "rate": f"{row.rate:.{digits}f}",
                    "impact_ratio": ratio,
                }
            )
        rows.append(
            {
                "attribute": attribute,
                "group": "Unknown",
                "n": str(result.unknown[attribute]),
                "selected": "",
                "rate": "",
                "impact_ratio": "",
            }
        )
    return pd.DataFrame(rows)


def sex_table(ratio_female: str = "0.99", rate_female: str = "0.78") -> pd.DataFrame:
    # Issue 18's example: 170 of 217 men (0.7834) and 753 of 971 women (0.7755).
    return pd.DataFrame(
        {
            "attribute": ["sex"] * 3,
            "group": ["Male", "Female", "Unknown"],
            "n": ["217", "971", "12"],
            "selected": ["170", "753", ""],
            "rate": ["0.78", rate_female, ""],
            "impact_ratio": ["1.00", ratio_female, ""],
        }
    )


def test_ratio_from_rounded_rates_is_flagged():
    check = ai.check_summary(sex_table(ratio_female="1.00"))
    assert [f.code for f in check.findings] == ["ratios_from_rounded_rates"]
    finding = check.findings[0]
    assert finding.severity == "error" and finding.group == "Female"
    assert finding.expected == pytest.approx((753 / 971) / (170 / 217))
    assert round(finding.expected, 3) == 0.990
    assert "0.78 / 0.78" in finding.message
    assert not check.consistent()


def test_a_single_wrong_ratio_is_flagged_with_the_value_it_should_have():
    check = ai.check_summary(sex_table(ratio_female="0.93"))
    assert [f.code for f in check.findings] == ["wrong_ratio"]
    assert check.findings[0].expected == pytest.approx((753 / 971) / (170 / 217))
    assert "0.99 at the published precision" in check.findings[0].message


def test_a_correct_table_yields_no_findings():
    check = ai.check_summary(sex_table())
    assert check.findings == ()
    assert check.consistent()
    table = check.table.set_index("group")
    assert table.loc["Male", "is_reference"]
    assert table.loc["Female", "impact_ratio"] == pytest.approx((753 / 971) / (170 / 217))


def test_a_wrong_rate_is_flagged():
    check = ai.check_summary(sex_table(rate_female="0.80", ratio_female="0.99"))
    assert "wrong_rate" in [f.code for f in check.findings]


def test_percent_rates_and_a_csv_file(tmp_path):
    table = sex_table()
    table["rate"] = ["78.3%", "77.5%", ""]
    path = tmp_path / "published.csv"
    table.to_csv(path, index=False)
    assert ai.check_summary(path).findings == ()


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["F", "M", None]),
            st.sampled_from(["A", "B", "C", "D", None]),
            st.booleans(),
        ),
        min_size=30,
        max_size=300,
    ),
    st.sampled_from([None, 0.02, 0.1]),
)
def test_a_library_audit_rounded_to_two_decimals_never_yields_an_error(rows, min_share):
    sex, race, selected = zip(*rows)
    try:
        result = ai.audit(
            selected=np.array(selected, dtype=int),
            sensitive_features={"sex": list(sex), "race": list(race)},
            min_share=min_share,
        )
    except ai.InputError:
        return  # fewer than two known groups
    check = ai.check_summary(published(result), min_share=min_share or 0.02)
    assert check.errors == (), check.findings


def share_table(excluded: bool) -> pd.DataFrame:
    # 59 of 2,901 known rows is 2.03%; of 3,000 rows (99 unknown) it is 1.97%.
    return pd.DataFrame(
        {
            "attribute": ["race"] * 4,
            "group": ["White", "Black", "Asian", "Unknown"],
            "n": ["2000", "842", "59", "99"],
            "selected": ["1000", "400", "30", "50"],
            "rate": ["0.50", "0.48", "0.51", "0.51"],
            "impact_ratio": ["0.98", "0.93", "" if excluded else "1.00", ""],
        }
    )


@pytest.mark.parametrize(
    "base, excluded, codes",
    [
        ("known", True, ["excluded_above_threshold"]),
        ("all", True, []),
        ("either", True, []),
        ("known", False, []),
        ("all", False, ["small_category_kept"]),
        ("either", False, []),
    ],
)
def test_the_two_percent_base_near_the_boundary(base, excluded, codes):
    table = share_table(excluded)
    if excluded:
        # Without Asian the reference is White: recompute the published ratios.
        table["impact_ratio"] = ["1.00", "0.95", "", ""]
    check = ai.check_summary(table, min_share_of=base)
    assert [f.code for f in check.findings] == codes


def test_audit_min_share_of_decides_the_boundary_case():
    race = ["White"] * 2000 + ["Black"] * 842 + ["Asian"] * 59 + [None] * 99
    selected = [1] * 1000 + [0] * 1000 + [1] * 400 + [0] * 442 + [1] * 30 + [0] * 29 + [1] * 99
    known = ai.audit(selected=selected, sensitive_features={"race": race}, min_share=0.02)
    every = ai.audit(
        selected=selected, sensitive_features={"race": race}, min_share=0.02, min_share_of="all"
    )
    asian = known.table.set_index("group").loc["Asian"]
    assert not asian["excluded"] and asian["share"] == pytest.approx(59 / 2901)
    row = every.table.set_index("group").loc["Asian"]
    assert row["excluded"] and "1.97% of all rows" in row["note"]
    assert every.params["min_share_of"] == "all" and known.params["min_share_of"] == "known"
    with pytest.raises(ai.InputError, match="^min_share_of: "):
        ai.audit(selected=selected, sensitive_features={"race": race}, min_share_of="rows")


def test_excluded_category_without_its_rate_is_an_error():
    table = share_table(excluded=True)
    table["impact_ratio"] = ["1.00", "0.95", "", ""]
    table.loc[2, ["selected", "rate"]] = ["", ""]
    check = ai.check_summary(table, min_share_of="all")
    assert [f.code for f in check.findings] == ["excluded_without_counts"]


def test_missing_unknown_row_and_disagreeing_totals():
    table = pd.concat(
        [
            sex_table(),
            pd.DataFrame(
                {
                    "attribute": ["race"] * 3,
                    "group": ["White", "Black", "Unknown"],
                    "n": ["600", "590", "5"],
                    "selected": ["470", "453", ""],
                    "rate": ["0.78", "0.77", ""],
                    "impact_ratio": ["1.00", "0.98", ""],
                }
            ),
        ]
    )
    check = ai.check_summary(table)
    assert [f.code for f in check.findings] == ["totals_disagree"]
    assert "sex 1,200, race 1,195" in check.findings[0].message
    check = ai.check_summary(table[table["group"] != "Unknown"])
    assert [f.code for f in check.findings] == ["missing_unknown", "missing_unknown"]
    assert check.consistent()  # warnings only


def test_a_reference_that_is_not_the_highest_rate():
    table = sex_table()
    table["impact_ratio"] = ["1.01", "1.00", ""]  # against Female
    check = ai.check_summary(table)
    assert [f.code for f in check.findings] == ["reference_not_highest"]
    assert "'Male'" in check.findings[0].message and "'Female'" in check.findings[0].message


@pytest.mark.parametrize(
    "change, where",
    [
        (lambda t: t.drop(columns="n"), "missing column(s) ['n']"),
        (lambda t: t.assign(rate=["1.20", "0.78", ""]), "row 0 (sex / Male), column 'rate'"),
        (
            lambda t: t.assign(selected=["170", "999", ""]),
            "row 1 (sex / Female), column 'selected': 999 selected is more than n = 971",
        ),
        (lambda t: t.assign(n=["217", "-971", "12"]), "row 1 (sex / Female), column 'n'"),
        (lambda t: t.assign(selected=["-1", "753", ""]), "row 0 (sex / Male), column 'selected'"),
    ],
)
def test_bad_input_names_the_row_and_column(change, where):
    with pytest.raises(ai.InputError) as error:
        ai.check_summary(change(sex_table()))
    assert str(error.value).startswith("table: ")
    assert where in str(error.value)


def test_result_is_frozen_and_serialisable():
    import json

    check = ai.check_summary(sex_table(ratio_female="1.00"))
    with pytest.raises(AttributeError):
        check.findings = ()
    payload = json.loads(json.dumps(check.to_dict()))
    assert (
        payload["consistent"] is False
        and payload["findings"][0]["code"] == "ratios_from_rounded_rates"
    )
    assert "1 error" in repr(check) and "<li>" in check._repr_html_()
    assert list(check.findings_frame()["code"]) == ["ratios_from_rounded_rates"]


def test_reports_print_the_base_of_the_two_percent_rule():
    race = ["White"] * 2000 + ["Black"] * 842 + ["Asian"] * 59 + [None] * 99
    selected = [1] * 1000 + [0] * 1000 + [1] * 400 + [0] * 442 + [1] * 30 + [0] * 29 + [1] * 99
    for base, words in (
        ("known", "of the rows whose category is known"),
        ("all", "of all rows, unknown category included"),
    ):
        result = ai.audit(
            selected=selected, sensitive_features={"race": race}, min_share=0.02, min_share_of=base
        )
        assert words in result.to_markdown() and words in result.to_html()
        assert json.loads(result.to_json())["params"]["min_share_of"] == base


def test_rates_without_counts_are_taken_as_published_with_a_warning():
    table = sex_table(ratio_female="1.00").drop(columns="selected")
    check = ai.check_summary(table)
    assert [f.code for f in check.findings] == ["rates_only"]
    assert check.consistent()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["F", "M", None]),
            st.sampled_from(["A", "B", "C", "D", None]),
            st.booleans(),
        ),
        min_size=30,
        max_size=400,
    ),
    st.sampled_from([None, 0.02]),
    st.sampled_from([1, 2, 3]),
)
def test_a_rates_only_summary_of_a_library_audit_never_yields_an_error(rows, min_share, digits):
    # Issue 25: rates and ratios rounded from unrounded values, no counts published.
    sex, race, selected = zip(*rows)
    try:
        result = ai.audit(
            selected=np.array(selected, dtype=int),
            sensitive_features={"sex": list(sex), "race": list(race)},
            min_share=min_share,
        )
    except ai.InputError:
        return
    table = published(result, digits).drop(columns="selected")
    check = ai.check_summary(table, min_share=min_share or 0.02)
    assert check.errors == (), check.findings


# -- decimal commas (a European spreadsheet writes 51,0% and 0,80) ---------------------------

_EUROPEAN = pd.DataFrame(
    {
        "attribute": ["sex", "sex"],
        "group": ["Female", "Male"],
        "n": ["1.200", "1.000"],
        "selected": ["480", "500"],
        "rate": ["40,0%", "50,0%"],
        "impact_ratio": ["0,80", "1,00"],
    }
)


def test_a_summary_with_decimal_commas_is_checked_like_its_dotted_twin():
    dotted = _EUROPEAN.assign(
        n=["1,200", "1,000"], rate=["40.0%", "50.0%"], impact_ratio=["0.80", "1.00"]
    )
    european = ai.check_summary(_EUROPEAN, decimal=",")
    assert european.consistent() and not european.errors
    assert european.to_dict() == ai.check_summary(dotted).to_dict()
    # A wrong figure is found the same way in either notation.
    wrong = ai.check_summary(_EUROPEAN.assign(impact_ratio=["0,78", "1,00"]), decimal=",")
    assert not wrong.consistent()
    assert wrong.errors[0].group == "Female"


@pytest.mark.parametrize(
    ("column", "written"),
    [
        ("rate", "51,0%"),
        ("impact_ratio", "0,80"),
        ("rate", "0,4"),
        ("impact_ratio", "1,0"),
        ("impact_ratio", "0,800"),
        ("rate", "0,400"),
    ],
)
def test_a_decimal_comma_is_never_read_as_a_thousands_separator(column, written):
    # Before: "51,0%" became 510% ("outside [0, 1]") and "0,80" the ratio 80, a false alarm.
    dotted = _EUROPEAN.assign(
        n=["1200", "1000"], rate=["40.0%", "50.0%"], impact_ratio=["0.80", "1.00"]
    )
    table = dotted.assign(**{column: [written, dotted[column][1]]})
    with pytest.raises(ai.InputError, match=r"^table: .*column '" + column) as raised:
        ai.check_summary(table)
    assert "Pass decimal=','" in str(raised.value)


def test_thousands_separators_group_digits_by_three_in_either_notation():
    table = _EUROPEAN.assign(
        n=["12,000", "10,000"],
        selected=["4,800", "5,000"],
        rate=["40.0%", "50.0%"],
        impact_ratio=["0.80", "1.00"],
    )
    assert ai.check_summary(table).consistent()
    swapped = table.assign(
        n=["12.000", "10.000"],
        selected=["4.800", "5.000"],
        rate=["40,0%", "50,0%"],
        impact_ratio=["0,80", "1,00"],
    )
    assert ai.check_summary(swapped, decimal=",").consistent()
    with pytest.raises(ai.InputError, match="If '.' groups thousands there, pass decimal=','"):
        ai.check_summary(swapped.assign(rate=["40%", "50%"], impact_ratio=["0.8", "1"]))


def test_figures_that_arrived_as_numbers_ignore_the_decimal_mark():
    numbers = pd.DataFrame(
        {
            "attribute": ["sex", "sex"],
            "group": ["Female", "Male"],
            "n": [1200, 1000],
            "selected": [480, 500],
            "rate": [0.4, 0.5],
            "impact_ratio": [0.8, 1.0],
        }
    )
    assert ai.check_summary(numbers, decimal=",").consistent()


@pytest.mark.parametrize("written", ["5.000", "12.000.000", "1.200"])
def test_a_count_with_three_decimals_is_never_read_as_a_few_people(written):
    # Before: "5.000" read with "." was 5 applicants, silently.
    table = _EUROPEAN.assign(
        n=[written, "5000"], selected=["0", "0"], rate=["0%", "0%"], impact_ratio=["", ""]
    )
    with pytest.raises(ai.InputError, match="If '.' groups thousands there, pass decimal=','"):
        ai.check_summary(table)
