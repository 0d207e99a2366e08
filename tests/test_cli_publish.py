"""The command line for publishing: the LL144 packet and check-summary."""

from __future__ import annotations

import json

import pandas as pd

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
    assert code == 1  # the four-fifths gate still applies: 0.30 / 0.60
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
    assert "distribution_date: is required" in capsys.readouterr().err


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
