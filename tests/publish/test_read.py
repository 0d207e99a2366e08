"""Reading a published summary as it was published (``_publish/_read.py``).

Every figure stays the text that was printed (its decimals are the published
precision), whatever the layout: delimiters, decimal commas, encodings, workbooks
and their number formats, title rows, two-label sections, total rows.
"""

from __future__ import annotations

import io
import json
import warnings

import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._publish._read import is_unknown_label, read_summary, total_rows

openpyxl = pytest.importorskip("openpyxl")

HEADER = ["Sex", "# of Applicants", "Selection Rate", "Impact Ratio"]


def _csv(tmp_path, text, name="summary.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _figures(frame):
    return frame[["attribute", "group", "n", "rate", "impact_ratio"]].values.tolist()


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_any_delimiter_is_sniffed_and_figures_stay_text(tmp_path, delimiter):
    rows = [HEADER, ["Male", "1200", "0.510", "1.00"], ["Female", "800", "0.408", "0.80"]]
    text = "\n".join(delimiter.join(r) for r in rows) + "\n"
    frame = read_summary(_csv(tmp_path, text))
    assert _figures(frame) == [
        ["Sex", "Male", "1200", "0.510", "1.00"],
        ["Sex", "Female", "800", "0.408", "0.80"],
    ]
    assert set(frame["kind"]) == {"selection"} and set(frame["unknown"]) == {"no"}


def test_a_decimal_comma_summary_is_read_with_its_commas_as_written(tmp_path):
    # A European export: semicolons between cells, commas in the decimals.
    text = (
        "Sex;# of Applicants;Selection Rate;Impact Ratio\n"
        "Male;1.200;51,0%;1,00\n"
        "Female;800;40,8%;0,80\n"
    )
    frame = read_summary(_csv(tmp_path, text))
    assert _figures(frame) == [
        ["Sex", "Male", "1.200", "51,0%", "1,00"],
        ["Sex", "Female", "800", "40,8%", "0,80"],
    ]


def test_a_byte_order_mark_is_dropped_and_another_encoding_is_named(tmp_path):
    text = "Sex,# of Applicants,Selection Rate,Impact Ratio\nFemme,10,0.5,1.00\nHomme,10,0.5,1.00\n"
    with_bom = read_summary(_csv(tmp_path, "\ufeff" + text))
    assert list(with_bom["attribute"].unique()) == ["Sex"]
    latin = _csv(tmp_path, text.replace("Femme", "Féminin"), "latin.csv", "latin-1")
    with pytest.raises(ai.InputError, match=r"^table: '.*latin\.csv' is not UTF-8 text \(byte"):
        read_summary(latin)
    assert read_summary(latin, encoding="latin-1")["group"].iloc[0] == "Féminin"
    with pytest.raises(ai.InputError, match=r"^table: unknown encoding 'klingon'"):
        read_summary(latin, encoding="klingon")


def test_title_rows_name_their_sections_and_two_label_columns_cross_them(tmp_path):
    text = (
        "Race/Ethnicity\n"
        "Category,# of Applicants,Selection Rate,Impact Ratio\n"
        "White,100,0.50,1.00\n"
        "Black,80,0.40,0.80\n"
        "\n"
        "Sex,Race/Ethnicity,# of Applicants,Selection Rate,Impact Ratio\n"
        "Male,White,60,0.50,1.00\n"
        "Female,Black,30,0.20,0.40\n"
    )
    frame = read_summary(_csv(tmp_path, text))
    assert _figures(frame) == [
        ["Race/Ethnicity", "White", "100", "0.50", "1.00"],
        ["Race/Ethnicity", "Black", "80", "0.40", "0.80"],
        ["Sex x Race/Ethnicity", "Male | White", "60", "0.50", "1.00"],
        ["Sex x Race/Ethnicity", "Female | Black", "30", "0.20", "0.40"],
    ]


def test_a_total_row_is_left_out_and_said(tmp_path):
    text = (
        "Sex,# of Applicants,Selection Rate,Impact Ratio\n"
        "Male,100,0.50,1.00\nFemale,100,0.40,0.80\nGrand Total,200,0.45,\n"
    )
    with pytest.warns(UserWarning, match=r"the row 'Grand Total' of section 'Sex' is read as a"):
        frame = read_summary(_csv(tmp_path, text))
    assert frame["group"].tolist() == ["Male", "Female"]


def test_total_rows_of_a_data_file_are_found_in_text_columns_only():
    frame = pd.DataFrame(
        {
            "id": ["a1", "Total", "a3", "TOTALS:"],
            "sex": ["F", "M", "Overall", "F"],
            "hired": [1, 0, 1, 0],
            "note": ["totally fine", "sub-total", "All applicants", None],
        }
    )
    assert total_rows(frame) == [
        (1, "id", "Total"),
        (1, "note", "sub-total"),
        (2, "note", "All applicants"),
        (2, "sex", "Overall"),
        (3, "id", "TOTALS:"),
    ]


@pytest.mark.parametrize(
    ("label", "unknown"),
    [
        ("Unknown Race", True),
        ("Missing/Unknown", True),
        ("Not Disclosed", True),
        ("Declined to self-identify", True),
        ("Prefer not to say", True),
        ("Two or More Races", False),
        ("Native Hawaiian or Pacific Islander", False),
        ("Female", False),
    ],
)
def test_unknown_category_labels_are_recognised(label, unknown):
    assert is_unknown_label(label) is unknown


def test_an_unknown_row_is_marked_and_an_audit_wide_count_reaches_every_section(tmp_path):
    text = (
        "Sex,# of Applicants,Selection Rate,Impact Ratio\n"
        "Male,100,0.50,1.00\nFemale,100,0.40,0.80\nUnknown Sex,7,,\n"
        "\n"
        "Race,# of Applicants,Selection Rate,Impact Ratio\n"
        "White,100,0.50,1.00\nBlack,100,0.40,0.80\n"
        "\n"
        "Missing/Unknown,12\n"
    )
    frame = read_summary(_csv(tmp_path, text))
    unknown = frame[frame["unknown"] == "yes"]
    # Sex has its own unknown row; the audit-wide count goes to Race only.
    assert unknown[["attribute", "group", "n"]].values.tolist() == [
        ["Sex", "Unknown Sex", "7"],
        ["Race", "Unknown", "12"],
    ]


def _workbook(tmp_path, sheets):
    path = tmp_path / "summary.xlsx"
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append([value for value, _ in row])
            for cell, (_, fmt) in zip(sheet[sheet.max_row], row):
                if fmt:
                    cell.number_format = fmt
    book.save(path)
    return path


SHEET = [
    [(h, None) for h in HEADER],
    [("Male", None), (1200, "#,##0"), (0.51, "0.0%"), (1, "0.00")],
    [("Female", None), (800, "#,##0"), (0.408, "0.0%"), (0.8, "0.00")],
]


def test_a_workbook_cell_is_read_as_its_number_format_shows_it(tmp_path):
    frame = read_summary(_workbook(tmp_path, {"Summary": SHEET}))
    # The stored 0.51 and 1 are shown as 51.0% and 1.00: those are the published figures.
    assert _figures(frame) == [
        ["Sex", "Male", "1200", "51.0%", "1.00"],
        ["Sex", "Female", "800", "40.8%", "0.80"],
    ]


def test_a_workbook_with_several_sheets_needs_one_named(tmp_path):
    path = _workbook(tmp_path, {"Summary": SHEET, "Notes": [[("prepared by", None)]]})
    with pytest.raises(ai.InputError) as caught:
        read_summary(path)
    assert str(caught.value) == (
        f"table: {str(path)!r} has 2 sheets: ['Summary', 'Notes']. "
        "Name one with --sheet NAME (sheet='NAME')"
    )
    with pytest.raises(ai.InputError, match=r"^table: no sheet 'summary' in .*'Summary', 'Notes'"):
        read_summary(path, sheet="summary")
    assert len(read_summary(path, sheet="Summary")) == 2


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("empty.csv", b"  \n", r"^table: '.*empty\.csv' is empty"),
        ("old.xls", b"\xd0\xcf\x11\xe0", r"^table: '.*old\.xls' is an old \.xls workbook"),
        ("packet.json", b"{not json", r"^table: '.*packet\.json' is not valid JSON"),
        ("packet.json", b'{"a": 1}', r"^table: '.*packet\.json' is not an LL144 packet's JSON"),
        ("zip.csv", b"PK\x03\x04rest", r"^table: '.*zip\.csv' is not text"),
        (
            "loose.csv",
            b"Male,100\n",
            r"^table: row \['Male', '100'\] is outside any section\. Start each section",
        ),
    ],
)
def test_what_cannot_be_read_is_refused_in_one_line_naming_the_fix(tmp_path, name, content, match):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ai.InputError, match=match):
        read_summary(path)


def test_a_missing_file_and_another_type_are_refused(tmp_path):
    with pytest.raises(ai.InputError, match=r"^table: no file '.*nothing\.csv'"):
        read_summary(tmp_path / "nothing.csv")
    with pytest.raises(ai.InputTypeError, match=r"^table: got list\. Pass a pandas DataFrame"):
        read_summary([["Sex", "n"]])


def test_a_tidy_frame_is_kept_as_it_is_and_a_text_stream_read_as_csv():
    tidy = pd.DataFrame({"Attribute": ["sex"], "Group": ["F"], "n": [10]})
    kept = read_summary(tidy)
    pd.testing.assert_frame_equal(kept, tidy)
    assert kept is not tidy
    stream = io.StringIO(",".join(HEADER) + "\nMale,10,0.5,1.00\nFemale,10,0.4,0.80\n")
    assert read_summary(stream)["group"].tolist() == ["Male", "Female"]


def test_the_packets_json_is_read_back_at_twelve_decimals(tmp_path):
    packet = {
        "metadata": {"measure": "scoring rate"},
        "tiers": [
            {
                "tier": None,
                "tables": {
                    "sex": [
                        {
                            "category": "F",
                            "n": 10,
                            "selected": 3,
                            "rate": 0.3,
                            "impact_ratio": 0.1 + 0.2,
                        },
                        {"category": "M", "n": 5, "selected": 1, "rate": 0.2, "excluded": True},
                    ]
                },
                "unknown": {"sex": 4},
            }
        ],
    }
    path = tmp_path / "packet.json"
    path.write_text(json.dumps(packet))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_summary(path)
    assert frame[["group", "n", "rate", "impact_ratio", "unknown", "excluded"]].values.tolist() == [
        ["F", "10", "0.300000000000", "0.300000000000", "no", "no"],
        ["M", "5", "0.200000000000", "", "no", "yes"],
        ["Unknown", "4", "", "", "yes", "no"],
    ]
    assert set(frame["kind"]) == {"scoring"}
