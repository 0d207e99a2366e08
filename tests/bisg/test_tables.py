"""The Census surname tables and the user's geography table (``_bisg/_tables.py``).

References: the Census 2010 surname file's printed rows (AAB, SMITH), the CFPB's
``surname_creation_lower.do`` (suppressed cells) and
``create_attr_over18_all_geo_entities.do`` (steps 1 to 3 of the geography table),
worked by hand below.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._bisg import _tables
from adverse_impact._bisg._tables import (
    CATEGORIES,
    CFPB_COLUMNS,
    cfpb_step2,
    fill_suppressed,
    geography_table,
    national_from_surnames,
    redistribute_other,
    surname_table,
    zcta_codes,
)


def _filled(year: str, name: str) -> np.ndarray:
    raw = _tables._load(f"surnames_{year}.npz")
    row = _tables._names(raw).index(name)
    return fill_suppressed(raw["pct"][row : row + 1].astype(np.int64))[0]


def test_suppressed_cells_are_filled_as_the_cfpb_fills_them():
    # Census 2010: AAB,128249,133,...,87.97,(S),(S),0,6.77,(S); SMITH: 70.9,23.11,0.5,0.89,2.19,2.4
    left = (1 - 0.8797 - 0.0677) / 3
    np.testing.assert_allclose(
        _filled("2010", "AAB"), [0.8797, left, left, 0.0, 0.0677, left], atol=1e-15
    )
    smith = [0.709, 0.2311, 0.005, 0.0089, 0.0219, 0.024]  # printed; they add up to 99.99%
    np.testing.assert_allclose(_filled("2010", "SMITH"), smith, atol=1e-15)
    # The table the estimates use holds each row rescaled to sum to 1.
    table = surname_table("2010")
    np.testing.assert_allclose(
        table.probabilities[table.index.get_loc("SMITH")], np.array(smith) / 0.9999, atol=1e-15
    )
    aab = table.probabilities[table.index.get_loc("AAB")]
    np.testing.assert_allclose(aab, _filled("2010", "AAB"), atol=1e-15)
    assert table.count[table.index.get_loc("SMITH")] == 2_442_977
    est = ai.impute_race(["aab", "Smith"])
    np.testing.assert_allclose(est.probabilities.to_numpy()[0], aab)


def test_the_shipped_tables_have_the_sizes_of_their_sources():
    assert len(surname_table("2010").index) == 162_253
    assert len(surname_table("2000").index) == 151_671
    union = surname_table("2010+2000")
    assert len(union.index) == len(set(union.index)) > 162_253
    np.testing.assert_allclose(
        surname_table("2010").all_other,
        [0.6665, 0.0853, 0.0797, 0.0086, 0.0232, 0.1367],
        atol=1e-12,
    )
    assert surname_table("2000").all_other is None


def test_the_shipped_data_are_the_surname_tables_only_under_six_megabytes():
    folder = Path(_tables.__file__).parent / "data"
    assert sum(f.stat().st_size for f in folder.iterdir()) < 6_000_000
    assert (folder / "PROVENANCE.md").exists()
    # No geography table ships: the user passes the CFPB's (see PROVENANCE.md).
    assert sorted(f.name for f in folder.glob("*.npz")) == [
        "surnames_2000.npz",
        "surnames_2010.npz",
    ]


def test_other_race_alone_is_shared_as_the_cfpb_shares_it():
    # ZCTA 1: 60 white, 30 black, 10 other -> white 60 + 6 (60/90 x 9)... exactly 60/90 x 10.
    adults = pd.DataFrame(
        {
            "zcta": ["00001", "00002"],
            "white": [60, 10],
            "black": [30, 10],
            "api": [0, 10],
            "aian": [0, 10],
            "multiracial": [0, 10],
            "hispanic": [10, 50],
            "other": [9, 0],
        }
    )
    table = geography_table(adults)
    np.testing.assert_allclose(table.counts[0], [66, 33, 0, 0, 0, 10], atol=1e-12)
    # Where the non-Hispanic adults are all "other", each of the five gets a fifth.
    only_other = adults.assign(white=[0, 10], black=[0, 10], other=[10, 0])
    np.testing.assert_allclose(geography_table(only_other).counts[0], [2, 2, 2, 2, 2, 10])


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(alphabet="0123456789- \t\x1cAb", max_size=12),
            st.from_regex(r"\s?[0-9]{1,6}(-[0-9]{0,4})?\s?", fullmatch=True),
        ),
        max_size=20,
    )
)
def test_zcta_text_parsed_by_arrow_as_the_python_rules_parse_it(values):
    """Arrow's kernels (ASCII text) and the per-value Python rules give the same codes."""
    uniques = np.array(values, dtype=object)
    python = _tables._arrow_codes
    try:
        _tables._arrow_codes = lambda values: None
        expected = _tables.zcta_codes(uniques)
    finally:
        _tables._arrow_codes = python
    assert _tables.zcta_codes(uniques).tolist() == expected.tolist()


def test_mixed_and_non_ascii_zctas_take_the_python_rules(adult_counts):
    mixed = np.array([2139, "02139", " 02139-4307", 2139.0, None, True], dtype=object)
    assert _tables.zcta_codes(mixed).tolist() == [2139, 2139, 2139, -1, -1, -1]
    # Python's \d takes any decimal digit, as the per-value rules always have.
    assert _tables.zcta_codes(np.array(["\u0662\u0661", "02139"], dtype=object)).tolist() == [
        21,
        2139,
    ]
    est = ai.impute_race(["Smith"] * 3, zcta=mixed[:3], zcta_table=adult_counts)
    assert est.geography_matched.all()


# -- the module's own behaviour, by hand ------------------------------------------------


def test_suppressed_cells_share_what_the_printed_ones_leave():
    pct = np.array(
        [
            [5000, 2000, 1000, 1000, 500, 500],  # nothing suppressed: as printed
            [-1, -1, -1, -1, -1, -1],  # everything suppressed: a sixth each
            [9000, 1000, 0, 0, -1, -1],  # the printed cells leave nothing
            [6000, -1, 2000, 0, 0, 1999],  # one suppressed cell takes the rest
        ]
    )
    filled = fill_suppressed(pct)
    np.testing.assert_allclose(filled[0], [0.5, 0.2, 0.1, 0.1, 0.05, 0.05], atol=1e-15)
    np.testing.assert_allclose(filled[1], np.full(6, 1 / 6), atol=1e-15)
    np.testing.assert_allclose(filled[2], [0.9, 0.1, 0, 0, 0, 0], atol=1e-15)
    np.testing.assert_allclose(filled[3], [0.6, 0.0001, 0.2, 0, 0, 0.1999], atol=1e-15)
    np.testing.assert_allclose(filled.sum(axis=1), 1.0, atol=1e-12)


def test_other_race_alone_grows_each_non_hispanic_group_in_proportion():
    # white, black, api, aian, multiracial, hispanic, other
    counts = np.array([[30, 10, 0, 0, 0, 7, 8], [0, 0, 0, 0, 0, 4, 10], [1, 1, 1, 1, 1, 0, 0]])
    grown = redistribute_other(counts)
    # 8 "other" shared 3:1 between white and black: 6 and 2; Hispanic untouched.
    np.testing.assert_allclose(grown[0], [36, 12, 0, 0, 0, 7])
    # No one but "other" among the non-Hispanic: a fifth each.
    np.testing.assert_allclose(grown[1], [2, 2, 2, 2, 2, 4])
    np.testing.assert_allclose(grown[2], [1, 1, 1, 1, 1, 0])
    np.testing.assert_allclose(grown.sum(axis=1), counts.sum(axis=1))


def test_the_geography_table_holds_both_conditionals(adult_counts):
    table = geography_table(adult_counts)
    assert table.counts.shape == table.given_race.shape == (len(adult_counts), len(CATEGORIES))
    # P(ZCTA | race): each category's column sums to 1 over the ZCTAs.
    np.testing.assert_allclose(table.given_race.sum(axis=0), 1.0, atol=1e-12)
    np.testing.assert_allclose(table.national, table.counts.sum(axis=0) / table.counts.sum())
    assert table.index.dtype == np.int64 and table.index.is_unique
    # A table already built passes through; a file is read once until it changes.
    assert geography_table(table) is table


def test_a_geography_file_is_read_again_when_it_changes(adult_counts, tmp_path):
    path = tmp_path / "adults.csv"
    adult_counts.to_csv(path, index=False)
    first = geography_table(path)
    assert geography_table(str(path)) is first  # cached by path, time and size
    # Ten times the white adults: a longer file, whatever the clock's resolution.
    adult_counts.assign(white=adult_counts["white"] * 10).to_csv(path, index=False)
    second = geography_table(path)
    assert second is not first
    assert second.counts[:, 0].sum() > first.counts[:, 0].sum()
    assert second.source == "adults.csv"


def _cfpb_row(**counts):
    row = dict.fromkeys(CFPB_COLUMNS, 0)
    row.update(ZCTA5="02139", **counts)
    return pd.DataFrame([row])


def test_the_cfpb_columns_are_folded_and_puerto_rico_dropped():
    frame = pd.concat(
        [
            _cfpb_row(
                Total_Pop=40,
                Hispanic_Total=5,
                NH_White_alone=10,
                NH_Black_alone=6,
                NH_AIAN_alone=1,
                NH_API_alone=3,
                NH_Other_alone=2,
                NH_Mult_Total=13,
                NH_White_Other=2,
                NH_Black_Other=1,
                NH_AIAN_Other=1,
                NH_Asian_HPI=1,
                NH_API_Other=1,
                NH_Asian_HPI_Other=1,
            ),
            _cfpb_row(Total_Pop=1, Hispanic_Total=1).assign(ZCTA5="00601"),
        ],
        ignore_index=True,
    )
    out = cfpb_step2(frame)
    assert out.columns.tolist() == ["zcta", *CATEGORIES, "other"]
    # white 10 + 2, black 6 + 1, api 3 + 1 + 1 + 1, aian 1 + 1, multiracial 13 - 7.
    assert out.iloc[0].tolist() == [2139, 12, 7, 6, 2, 6, 5, 2]
    assert len(out) == 1  # 00601 is Puerto Rico


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        (dict(Total_Pop=5, NH_White_alone=4), "the CFPB table's categories do not add up to"),
        (
            dict(Total_Pop=0, NH_White_Other=1, NH_White_alone=-1),
            r"column 'NH_White_alone' holds a value that is missing, negative",
        ),
        (
            dict(Total_Pop=2, NH_White_alone=2, NH_Black_Other=1, NH_Mult_Total=0),
            "more multiracial combinations than multiracial adults",
        ),
    ],
)
def test_a_cfpb_table_that_is_not_the_cfpbs_is_refused_naming_the_argument(counts, match):
    with pytest.raises(ai.InputError, match=rf"^zcta_table: .*{match}"):
        cfpb_step2(_cfpb_row(**counts))
    with pytest.raises(ai.InputError, match=r"^table: "):
        cfpb_step2(_cfpb_row(**counts), argument="table")


def test_a_missing_file_or_another_type_is_refused_with_where_to_get_one(tmp_path):
    with pytest.raises(ai.InputError, match=r"^zcta_table: no file at .*cfpb/proxy-methodology"):
        geography_table(tmp_path / "nothing.dta")
    with pytest.raises(ai.InputTypeError, match=r"^zcta_table: got dict, not a path"):
        geography_table({"zcta": ["02139"]})


def test_numeric_zctas_must_be_whole_five_digit_codes():
    values = np.array([2139, 2139.5, -1, 99999, 100000, np.nan, 0])
    assert zcta_codes(values).tolist() == [2139, -1, -1, 99999, -1, -1, 0]
    assert zcta_codes(np.array([], dtype=object)).tolist() == []


def test_the_surname_tables_are_cached_and_the_union_prefers_2010():
    assert surname_table("2010") is surname_table("2010")
    union, new, old = surname_table("2010+2000"), surname_table("2010"), surname_table("2000")
    assert union.index[: len(new.index)].equals(new.index)
    assert set(union.source) == {"2010", "2000"}
    # A name on both lists takes its 2010 row.
    row = union.index.get_loc("SMITH")
    assert union.source[row] == "2010"
    np.testing.assert_array_equal(
        union.probabilities[row], new.probabilities[new.index.get_loc("SMITH")]
    )
    extra = union.index[len(new.index) :]
    assert not extra.isin(new.index).any() and extra.isin(old.index).all()
    np.testing.assert_allclose(union.probabilities.sum(axis=1), 1.0, atol=1e-12)


def test_national_shares_from_the_2000_list_count_its_listed_people_only():
    table = surname_table("2000")
    people = table.count @ table.probabilities
    np.testing.assert_allclose(national_from_surnames("2000"), people / people.sum())
    assert national_from_surnames("2000").sum() == pytest.approx(1.0, abs=1e-12)
