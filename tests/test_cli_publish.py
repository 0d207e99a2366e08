"""The command line for publishing: the LL144 packet and check-summary."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import adverse_impact as ai
from adverse_impact._cli import main


def applicants_csv(tmp_path):
    rows = [("F", 1)] * 12 + [("F", 0)] * 28 + [("M", 1)] * 48 + [("M", 0)] * 32 + [(None, 1)] * 3
    path = tmp_path / "applicants.csv"
    pd.DataFrame(rows, columns=["sex", "advanced"]).to_csv(path, index=False)
    return path


LL144 = [
    "--ll144",
    "--audit-date",
    "2026-11-30",
    "--distribution-date",
    "2026-01-05",
    "--data-source",
    "ATS export 2025",
]


def test_audit_writes_the_ll144_packet(tmp_path, capsys):
    path = applicants_csv(tmp_path)
    code = main(
        [
            "audit",
            str(path),
            "--selected",
            "advanced",
            "--group",
            "sex",
            *LL144,
            "--format",
            "markdown",
            "--tool",
            "ScreenRank",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0  # writing the packet is not a gate (0.30 / 0.60 is below 0.80)
    assert "# Bias audit summary: ScreenRank" in out and "2026-01-05" in out
    assert "sex: 3" in out
    out_json = tmp_path / "packet.json"
    main(
        [
            "audit",
            str(path),
            "--selected",
            "advanced",
            "--group",
            "sex",
            *LL144,
            "--format",
            "json",
            "--out",
            str(out_json),
            "--fail-under",
            "0.1",
        ]
    )
    payload = json.loads(out_json.read_text())
    assert payload["metadata"]["audit_date"] == "2026-11-30"


def test_a_missing_packet_field_is_a_bad_input_exit(tmp_path, capsys):
    path = applicants_csv(tmp_path)
    code = main(
        [
            "audit",
            str(path),
            "--selected",
            "advanced",
            "--group",
            "sex",
            "--ll144",
            "--audit-date",
            "2026-11-30",
            "--data-source",
            "x",
        ]
    )
    assert code == 2
    assert "--distribution-date: is required" in capsys.readouterr().err


def published_csv(tmp_path, ratio_female: str):
    path = tmp_path / "published.csv"
    pd.DataFrame(
        {
            "attribute": ["sex"] * 3,
            "group": ["Male", "Female", "Unknown"],
            "n": [217, 971, 12],
            "selected": [170, 753, None],
            "rate": ["0.78", "0.78", ""],
            "impact_ratio": ["1.00", ratio_female, ""],
        }
    ).to_csv(path, index=False)
    return path


def test_check_summary_exits_1_on_an_error_finding(tmp_path, capsys):
    assert main(["check-summary", str(published_csv(tmp_path, "1.00"))]) == 1
    assert "matches only the rounded rates (0.78 / 0.78)" in capsys.readouterr().out
    assert main(["check-summary", str(published_csv(tmp_path, "0.99"))]) == 0
    assert "no findings" in capsys.readouterr().out
    assert main(["check-summary", str(published_csv(tmp_path, "0.90")), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["findings"][0]["code"] == "wrong_ratio"


def test_check_summary_bad_table_exits_2(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    pd.DataFrame(
        {
            "attribute": ["sex"],
            "group": ["Male"],
            "n": [10],
            "rate": ["1.5"],
            "impact_ratio": ["1.00"],
        }
    ).to_csv(path, index=False)
    assert main(["check-summary", str(path)]) == 2
    assert "row 0 (sex / Male), column 'rate'" in capsys.readouterr().err


# -- issue 25: the packet from the command line ---------------------------------------------


def _packet_args(path, *extra):
    return ["audit", str(path), "--selected", "advanced", "--group", "sex", *LL144, *extra]


def test_writing_the_packet_exits_0_and_a_gate_is_an_explicit_option(tmp_path, capsys):
    path = applicants_csv(tmp_path)  # female 0.30 / male 0.60: a ratio of 0.50
    assert main(_packet_args(path, "--format", "md")) == 0
    assert "fails the rule" not in capsys.readouterr().err
    assert main(_packet_args(path, "--format", "md", "--fail-under", "0.8")) == 1
    assert "adverse impact: 1 group fails the rule" in capsys.readouterr().err
    assert main(_packet_args(path, "--format", "md", "--rule", "four_fifths")) == 1
    capsys.readouterr()
    # Without --ll144 the audit keeps its default gate at 0.8.
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex"]) == 1


def test_title_applies_to_the_packet_from_the_command_line(tmp_path, capsys):
    path = applicants_csv(tmp_path)
    assert main(_packet_args(path, "--format", "md", "--title", "Acme bias audit 2026")) == 0
    assert capsys.readouterr().out.startswith("# Acme bias audit 2026\n")


def test_every_missing_packet_field_is_reported_at_once_in_flags(tmp_path, capsys):
    path = applicants_csv(tmp_path)
    code = main(["audit", str(path), "--selected", "advanced", "--group", "sex", "--ll144"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith(
        "adverse-impact: error: --audit-date, --distribution-date, --data-source: are required"
    )
    assert "Pass --audit-date YYYY-MM-DD, --distribution-date YYYY-MM-DD, --data-source " in err
    assert "audit_date" not in err and "=" not in err


def test_library_errors_speak_in_flags(tmp_path, capsys):
    path = applicants_csv(tmp_path)
    code = main(
        _packet_args(path, "--audit-date", "2026-11-30", "--data-kind", "test", "--format", "md")
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("adverse-impact: error: --test-data-explanation: is required with")
    assert "data_kind" not in err and "test_data_explanation" not in err


def test_speak_flags_maps_names_and_values():
    from adverse_impact._cli import build_parser, option_names, speak_flags

    names = option_names(build_parser(), "audit")
    assert speak_flags("min_share: got 2. Pass min_share=0.02", names) == (
        "--min-share: got 2. Pass --min-share 0.02"
    )
    assert speak_flags("sensitive_features['sex']: two labels", names) == "--group sex: two labels"
    assert speak_flags("x. Pass unknown=['N/A', 'Prefer not']", names) == (
        "x. Pass --unknown N/A --unknown 'Prefer not'"
    )


def test_warnings_print_one_line_without_the_python_source(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "applicants.csv"
    rows = [("Female", 1), ("Female", 0), ("Male", 1), ("Male", 0), ("Prefer not to say", 1)] * 20
    pd.DataFrame(rows, columns=["sex", "advanced"]).to_csv(path, index=False)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "adverse_impact",
            "audit",
            str(path),
            "--selected",
            "advanced",
            "--group",
            "sex",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    warning = [line for line in done.stderr.splitlines() if "non-answer" in line]
    assert warning and warning[0].startswith("adverse-impact: warning: ")
    assert "--unknown 'Prefer not to say'" in warning[0] and "unknown=[" not in warning[0]
    assert "warn(" not in done.stderr and ".py:" not in done.stderr


# -- issue 25: the analyst's files ----------------------------------------------------------


def _workbook(tmp_path, sheets: dict[str, pd.DataFrame]):
    path = tmp_path / "export.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


def _decisions(n: int = 40) -> pd.DataFrame:
    return pd.DataFrame({"sex": ["F", "M"] * (n // 2), "advanced": [1, 0, 1, 1] * (n // 4)})


def test_a_workbook_with_several_sheets_needs_sheet_and_both_errors_list_them(tmp_path, capsys):
    path = _workbook(tmp_path, {"Applicants": _decisions(), "Notes": pd.DataFrame({"a": [1]})})
    base = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--fail-under", "0.1"]
    assert main(base) == 2
    err = capsys.readouterr().err
    assert "--sheet: 'export.xlsx' has 2 sheets ('Applicants', 'Notes') and none was named" in err
    assert main([*base, "--sheet", "applicants"]) == 2
    err = capsys.readouterr().err
    assert "no sheet 'applicants'; its sheets: 'Applicants', 'Notes'" in err
    assert main([*base, "--sheet", "Applicants"]) == 0


def test_a_total_row_is_warned_about(tmp_path):
    frame = _decisions().assign(id=[f"A{i}" for i in range(40)])
    frame = pd.concat([frame, pd.DataFrame({"id": ["Grand Total"], "advanced": [30]})])
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False)
    with pytest.warns(UserWarning, match=r"row 42 reads 'Grand Total' in column 'id'"):
        from adverse_impact._cli import read_table

        read_table(str(path), ["sex"])


def test_check_summary_warns_about_the_total_row_it_skips(tmp_path):
    path = tmp_path / "published.csv"
    path.write_text(
        "Sex,# of Applicants,# Selected,Selection Rate,Impact Ratio\n"
        "Male,100,50,50.0%,1.00\nFemale,100,45,45.0%,0.90\nTotal,200,95,47.5%,\n"
    )
    with pytest.warns(UserWarning, match="'Total' of section 'Sex' is read as a total"):
        check = ai.check_summary(str(path))
    assert check.consistent()


def test_selected_values_take_several_labels_a_side_without_case_or_spaces(tmp_path, capsys):
    statuses = ["Advanced to Interview", "offer extended ", "Rejected", "Withdrawn"] * 10
    path = tmp_path / "export.csv"
    pd.DataFrame({"sex": ["F", "M"] * 20, "status": statuses}).to_csv(path, index=False)
    base = ["audit", str(path), "--selected", "status", "--group", "sex", "--format", "json"]
    assert main([*base, "--selected-values", "Advanced to Interview|Offer Extended,*"]) == 0
    rows = json.loads(capsys.readouterr().out)["table"]
    assert {r["group"]: r["selected"] for r in rows} == {"F": 10, "M": 10}
    both = "advanced to interview|OFFER EXTENDED,rejected|withdrawn"
    assert main([*base, "--selected-values", both]) == 0
    capsys.readouterr()
    assert main([*base, "--selected-values", "Offer Extended,Rejected"]) == 2
    err = capsys.readouterr().err
    assert "also holds 'Advanced to Interview', 'Withdrawn'" in err


def test_the_hint_for_labels_lists_every_label_on_its_likely_side(tmp_path, capsys):
    statuses = ["Advanced to Interview", "Offer Extended", "Rejected", "Withdrawn"] * 10
    path = tmp_path / "export.csv"
    pd.DataFrame({"sex": ["F", "M"] * 20, "status": statuses}).to_csv(path, index=False)
    assert main(["audit", str(path), "--selected", "status", "--group", "sex"]) == 2
    err = capsys.readouterr().err
    assert "--selected-values 'Advanced to Interview|Offer Extended,Rejected|Withdrawn'" in err


def test_fold_labels_merges_case_and_space_variants_and_the_warning_lists_every_set(
    tmp_path, capsys
):
    variants = ["Female", "female ", "Male", "MALE", "Non-binary", "non-binary", "X", "x "]
    path = tmp_path / "export.csv"
    pd.DataFrame({"sex": variants * 10, "advanced": [1, 0] * 40}).to_csv(path, index=False)
    base = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--format", "json"]
    with pytest.warns(UserWarning) as caught:
        main([*base, "--fail-under", "0.1"])
    message = next(str(w.message) for w in caught if "differ only in case" in str(w.message))
    assert "(4 sets)" in message and "'X' vs 'x '" in message and "--fold-labels" in message
    capsys.readouterr()
    assert main([*base, "--fold-labels", "--fail-under", "0.1"]) == 0
    groups = {r["group"] for r in json.loads(capsys.readouterr().out)["table"]}
    assert groups == {"Female", "Male", "Non-binary", "X"}


def test_unknown_non_answers_counts_every_non_answer_as_unknown(tmp_path, capsys):
    labels = ["F", "M", "I do not wish to self-identify", "Choose not to disclose"]
    path = tmp_path / "export.csv"
    pd.DataFrame({"sex": labels * 10, "advanced": [1, 1, 0, 1] * 10}).to_csv(path, index=False)
    base = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--format", "json"]
    assert main([*base, "--unknown-non-answers", "--fail-under", "0.1"]) == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)
    assert {r["group"] for r in payload["table"]} == {"F", "M"}
    assert "'I do not wish to self-identify', 'Choose not to disclose'" in captured.err


def _scores_csv(tmp_path, scores, sep=","):
    path = tmp_path / "scores.csv"
    n = len(scores)
    frame = pd.DataFrame({"sex": (["F", "M"] * n)[:n], "score": scores})
    frame.to_csv(path, index=False, sep=sep)
    return path


def test_text_in_a_score_column_names_the_rows_and_values(tmp_path, capsys):
    scores = ["71.5", "80", "N/A", "66", "pending", "72,5", "90", "55"] * 3
    path = _scores_csv(tmp_path, scores)
    assert main(["audit", str(path), "--score", "score", "--group", "sex"]) == 2
    err = capsys.readouterr().err
    assert "--score: column 'score' has no number in 9 row(s)" in err
    assert "line 4: 'N/A', line 6: 'pending', line 7: '72,5'" in err
    assert "Pass --decimal , if the file writes decimals with a comma" in err


def test_decimal_comma_reads_a_semicolon_csv_of_scores(tmp_path, capsys):
    scores = ["71,5", "80", "66,25", "72,5", "90", "55,75"] * 5
    path = _scores_csv(tmp_path, scores, sep=";")
    args = ["audit", str(path), "--score", "score", "--group", "sex", "--format", "json"]
    assert main([*args, "--decimal", ","]) in (0, 1)
    payload = json.loads(capsys.readouterr().out)
    assert payload["params"]["cutoff"] == pytest.approx(72.0)  # the median of the numbers


def test_drop_total_rows_and_drop_unscored_leave_rows_out_naming_their_lines(tmp_path, capsys):
    scores = ["71,5", "80", "N/A", "66", "pending", "72,5", "90", "55"] * 3
    frame = pd.DataFrame({"sex": (["F", "M"] * 12), "score": scores})
    frame = pd.concat([frame, pd.DataFrame({"sex": ["Grand Total"], "score": [""]})])
    path = tmp_path / "scores.csv"
    frame.to_csv(path, index=False, sep=";")
    args = ["audit", str(path), "--score", "score", "--group", "sex", "--decimal", ","]
    with pytest.warns(UserWarning, match="Pass --drop-total-rows to leave it out"):
        assert main([*args, "--format", "json"]) == 2
    err = capsys.readouterr().err
    assert "line 26: empty" in err and "leave them out with --drop-unscored" in err
    with pytest.warns(UserWarning) as caught:
        code = main([*args, "--drop-total-rows", "--drop-unscored", "--format", "json"])
    assert code in (0, 1)
    said = " ".join(str(w.message) for w in caught)
    assert "row 26 reads 'Grand Total' in column 'sex'; left out (--drop-total-rows)" in said
    assert "left out 6 row(s) with no number in column 'score' (line 4: 'N/A', line 6:" in said
    payload = json.loads(capsys.readouterr().out)
    assert payload["n_total"] == 18


def test_the_documented_ats_export_command_writes_the_packet(tmp_path, monkeypatch):
    import re
    import shlex
    from pathlib import Path

    rng = np.random.default_rng(25)
    n = 2_000
    export = pd.DataFrame(
        {
            "Candidate ID": [f"C{i}" for i in range(n)],
            "Gender": rng.choice(
                ["Female", "female ", "Male", "MALE", "I do not wish to self-identify"],
                n,
                p=[0.4, 0.05, 0.4, 0.05, 0.1],
            ),
            "Race/Ethnicity": rng.choice(
                ["White", "white", "Asian", "Black or African American", "I don't wish to answer"],
                n,
                p=[0.4, 0.05, 0.25, 0.2, 0.1],
            ),
            "Application Status": rng.choice(
                ["Advanced to Interview", "Offer Extended", "Rejected", "Withdrawn"], n
            ),
        }
    )
    total = pd.DataFrame({"Candidate ID": ["Grand Total"], "Application Status": [f"{n:,}"]})
    _workbook(
        tmp_path,
        {"Applicants": pd.concat([export, total]), "Pivot": pd.DataFrame({"a": [1]})},
    ).rename(tmp_path / "ats_export.xlsx")
    page = (Path(__file__).resolve().parents[1] / "docs" / "publishing.md").read_text()
    block = re.search(r"```bash\n(adverse-impact audit ats_export\.xlsx.*?)```", page, re.S)
    argv = shlex.split(block.group(1).replace("\\\n", " "))[1:]
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match="left out \\(--drop-total-rows\\)"):
        assert main(argv) == 0  # writing the packet is not a gate
    page = (tmp_path / "packet.html").read_text()
    assert "<h1>Acme Corp: bias audit of ScreenRank 2</h1>" in page
    assert "wish" not in page and "Grand Total" not in page  # non-answers counted unknown
    categories = set(re.findall(r'<th scope="row" class="text">([^<|]+)</th>', page))
    assert categories == {"Female", "Male", "White", "Asian", "Black or African American"}


def test_a_published_non_answer_row_is_the_unknown_category(tmp_path):
    path = tmp_path / "published.csv"
    path.write_text(
        "Sex,# of Applicants,# Selected,Selection Rate,Impact Ratio\n"
        "Male,100,50,50.0%,1.00\nFemale,100,45,45.0%,0.90\nChoose not to disclose,12,,,\n"
    )
    check = ai.check_summary(str(path))
    assert check.consistent() and not check.findings, check.findings


def test_the_terminal_table_points_to_an_option_for_the_rows_it_leaves_out(tmp_path, capsys):
    rng = np.random.default_rng(1)
    path = tmp_path / "many.csv"
    pd.DataFrame(
        {"code": rng.integers(0, 90, 3_000).astype(str), "advanced": rng.integers(0, 2, 3_000)}
    ).to_csv(path, index=False)
    main(["audit", str(path), "--selected", "advanced", "--group", "code", "--fail-under", "0.1"])
    out = capsys.readouterr().out
    assert "more rows (--format md, html or json has them all)" in out
    assert "to_frame()" not in out


def test_check_summary_reads_a_semicolon_csv_with_decimal_commas(tmp_path, capsys):
    path = tmp_path / "published.csv"
    path.write_text(
        "attribute;group;n;selected;rate;impact_ratio\n"
        "sex;Female;1.200;480;40,0%;0,80\n"
        "sex;Male;1.000;500;50,0%;1,00\n",
        encoding="utf-8",
    )
    assert main(["check-summary", str(path), "--decimal", ","]) == 0
    capsys.readouterr()
    # Without --decimal the comma is refused with the fix, not read as 510% or 80.
    assert main(["check-summary", str(path)]) == 2
    assert "--decimal ," in capsys.readouterr().err
