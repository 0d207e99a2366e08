"""The command line, through its real entry point."""

from __future__ import annotations

import subprocess
import sys

import adverse_impact as ai
from adverse_impact._cli import main


def test_example_command_prints_the_audit(capsys):
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    assert "Black" in out and "0.500" in out and "FAILS" in out


def test_help_and_version_through_python_dash_m():
    done = subprocess.run(
        [sys.executable, "-m", "adverse_impact", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "example" in done.stdout
    done = subprocess.run(
        [sys.executable, "-m", "adverse_impact", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "adverse-impact" in done.stdout


# --- adverse-impact audit -------------------------------------------------------------

import json  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402


def _applicants_csv(tmp_path, *, women=(12, 40), men=(48, 80)):
    rows = (
        [("F", 1)] * women[0]
        + [("F", 0)] * (women[1] - women[0])
        + [("M", 1)] * men[0]
        + [("M", 0)] * (men[1] - men[0])
    )
    frame = pd.DataFrame(rows, columns=["sex", "advanced"])
    frame["site"] = ["north", "south"] * (len(frame) // 2) + ["north"] * (len(frame) % 2)
    path = tmp_path / "applicants.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    """The installed console entry point, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "adverse_impact", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_audit_exit_status_is_1_when_the_gate_fails(tmp_path):
    path = _applicants_csv(tmp_path)
    done = _run("audit", path, "--selected", "advanced", "--group", "sex")
    assert done.returncode == 1, done.stderr
    assert "F" in done.stdout and "0.500" in done.stdout
    assert "adverse impact: 1 group fails the rule" in done.stderr and "sex=F" in done.stderr


def test_audit_exit_status_is_0_when_the_gate_passes(tmp_path):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    done = _run("audit", path, "--selected", "advanced", "--group", "sex")
    assert done.returncode == 0, done.stderr


def test_fail_under_and_significance_rules(tmp_path, capsys):
    # 2/10 vs 5/10: ratio 0.4, Fisher p = 0.35: fails four-fifths, passes "both".
    path = _applicants_csv(tmp_path, women=(2, 10), men=(5, 10))
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex"]) == 1
    assert (
        main(["audit", str(path), "--selected", "advanced", "--group", "sex", "--rule", "both"])
        == 0
    )
    assert (
        main(
            ["audit", str(path), "--selected", "advanced", "--group", "sex", "--fail-under", "0.35"]
        )
        == 0
    )


def test_the_gate_line_names_the_rule_the_family_and_the_correction(tmp_path, capsys):
    path = _applicants_csv(tmp_path)  # 12/40 vs 48/80: ratio 0.5, p = 0.003
    argv = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--gate-alpha", "0.05"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    # The gate's one message (GateVerdict.message), as the pytest assertion raises it.
    lines = err.splitlines()
    first = lines.index(
        "adverse impact: 1 group fails the rule (impact ratio below 0.8 and significantly "
        "lower at alpha 0.05)"
    )
    assert lines[first + 1].startswith("Family: 1 comparison (sex) against the highest rate")
    assert "Westfall-Young maxT" in lines[first + 1] and lines[first + 2].startswith("  sex=F")


@pytest.mark.parametrize(
    "women,men,why", [((0, 40), (0, 80), "no one"), ((40, 40), (80, 80), "everyone")]
)
def test_a_file_the_gate_cannot_judge_exits_non_zero_with_one_line(
    tmp_path, capsys, women, men, why
):
    # Issue 24: nobody selected used to pass (every ratio undefined, so none below 4/5).
    path = _applicants_csv(tmp_path, women=women, men=men)
    log = tmp_path / "audits.db"
    argv = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--log", str(log)]
    assert main(argv) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.startswith("adverse-impact")]
    assert len(err) == 1 and f"{why} was selected" in err[0] and "cannot judge" in err[0]
    row = ai.AuditLog(log).history().iloc[0]
    assert not row["passes"] and row["verdict"].startswith("not judged")


def test_the_log_records_the_verdict_the_command_gave(tmp_path, capsys):
    # 2/10 vs 5/10: below 4/5 but far from significant, so "both" passes; the log says so.
    path = _applicants_csv(tmp_path, women=(2, 10), men=(5, 10))
    log = tmp_path / "audits.db"
    argv = ["audit", str(path), "--selected", "advanced", "--group", "sex", "--rule", "both"]
    assert main([*argv, "--log", str(log)]) == 0
    row = ai.AuditLog(log).history().iloc[0]
    assert bool(row["passes"]) and row["rule"] == "both" and "Westfall-Young" in row["verdict"]


@pytest.mark.parametrize(
    "fmt,check",
    [
        ("markdown", lambda text: "| " in text and "Impact" in text.title()),
        (
            "html",
            lambda text: text.lstrip().lower().startswith("<!doctype html") and "<svg" in text,
        ),
        ("json", lambda text: json.loads(text)["table"][0]["group"] in {"F", "M"}),
    ],
)
def test_each_format_to_stdout_and_to_a_file(tmp_path, capsys, fmt, check):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    assert (
        main(["audit", str(path), "--selected", "advanced", "--group", "sex", "--format", fmt]) == 0
    )
    assert check(capsys.readouterr().out)
    out = tmp_path / f"report.{fmt}"
    assert (
        main(
            [
                "audit",
                str(path),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--format",
                fmt,
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert check(out.read_text(encoding="utf-8"))


def test_strata_and_parquet(tmp_path, capsys):
    path = _applicants_csv(tmp_path)
    parquet = tmp_path / "applicants.parquet"
    pd.read_csv(path).to_parquet(parquet)
    assert (
        main(
            [
                "audit",
                str(parquet),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--strata",
                "site",
                "--format",
                "json",
            ]
        )
        == 1
    )
    report = json.loads(capsys.readouterr().out)
    assert report["pooled"][0]["n_strata"] == 2


@pytest.mark.parametrize(
    "content,expected",
    [
        ("sex,advanced\nF,1\nM,0\n", "no column 'hired'"),
        ("", "cannot read"),
        ("sex,hired\n", "no rows"),
        ("sex,hired\nF,maybe\nM,1\n", "not 0/1 decisions. Say which labels mean selected"),
    ],
)
def test_bad_files_exit_2_with_one_line(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    done = _run("audit", path, "--selected", "hired", "--group", "sex")
    assert done.returncode == 2
    assert expected in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_missing_file_and_debug_traceback(tmp_path):
    done = _run("audit", tmp_path / "nope.csv", "--selected", "a", "--group", "b")
    assert done.returncode == 2 and "no file" in done.stderr
    done = _run("audit", tmp_path / "nope.csv", "--selected", "a", "--group", "b", "--debug")
    assert done.returncode != 0 and "Traceback" in done.stderr


def test_argparse_errors_exit_2(tmp_path):
    done = _run("audit", "x.csv")  # --group is required
    assert done.returncode == 2 and "--group" in done.stderr


def test_every_command_has_help_with_an_example():
    for command in ("example", "audit", "audit-model"):
        done = _run(command, "--help")
        assert done.returncode == 0 and "Example:" in done.stdout, command


# --- adverse-impact audit-model -------------------------------------------------------


def _text_model_files(tmp_path):
    import skops.io as sio
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    texts = ["python sql", "women's chess python", "java sql", "women's club", "python"] * 20
    hired = [1, 0, 1, 0, 1] * 20
    model = make_pipeline(CountVectorizer(), LogisticRegression()).fit(texts, hired)
    sio.dump(model, tmp_path / "model.skops")
    frame = pd.DataFrame({"resume": texts, "sex": ["M", "F", "M", "F", "M"] * 20})
    frame.to_csv(tmp_path / "candidates.csv", index=False)
    return model


def test_audit_model_with_a_skops_file(tmp_path, capsys):
    _text_model_files(tmp_path)
    code = main(
        [
            "audit-model",
            str(tmp_path / "model.skops"),
            str(tmp_path / "candidates.csv"),
            "--text",
            "resume",
            "--group",
            "sex",
            "--threshold",
            "0.5",
        ]
    )
    assert code == 1  # the model never selects the women's-club resumes
    assert "F" in capsys.readouterr().out


def test_audit_model_refuses_pickles_unless_trusted(tmp_path, capsys):
    import joblib

    model = _text_model_files(tmp_path)
    joblib.dump(model, tmp_path / "model.joblib")
    args = [
        "audit-model",
        str(tmp_path / "model.joblib"),
        str(tmp_path / "candidates.csv"),
        "--text",
        "resume",
        "--group",
        "sex",
        "--threshold",
        "0.5",
    ]
    assert main(args) == 2
    assert "runs whatever code" in capsys.readouterr().err
    assert main([*args, "--trust-model-file"]) == 1


def test_audit_model_rejects_a_corrupt_model_file(tmp_path, capsys):
    _text_model_files(tmp_path)
    (tmp_path / "broken.skops").write_bytes(b"not a zip file")
    assert (
        main(
            [
                "audit-model",
                str(tmp_path / "broken.skops"),
                str(tmp_path / "candidates.csv"),
                "--text",
                "resume",
                "--group",
                "sex",
            ]
        )
        == 2
    )
    assert "skops" in capsys.readouterr().err


def test_audit_model_top_k_inside_tied_scores_is_refused_or_broken_at_random(tmp_path, capsys):
    # Five distinct resumes, 20 copies each: the top 30 cuts through a block of 20 ties.
    _text_model_files(tmp_path)
    args = [
        "audit-model",
        str(tmp_path / "model.skops"),
        str(tmp_path / "candidates.csv"),
        "--text",
        "resume",
        "--group",
        "sex",
        "--select-top",
        "30",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "--select-top 30 cuts through 20 candidates tied" in err and "Traceback" not in err
    assert main([*args, "--ties", "random", "--random-state", "0", "--format", "json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["params"]["n_selected"] == out["params"]["requested_selected"] == 30
    assert out["params"]["n_tie_break"] == 10


# --- the first hour with the command line (issue 14, item 5) -----------------------------


def _words_csv(tmp_path, *, sep=",", encoding="utf-8", name="words.csv"):
    rows = (
        [("Female", "Y")] * 12
        + [("Female", "N")] * 28
        + [("Male", "Y")] * 48
        + [("Male", "N")] * 32
        + [("Femme é", "Y")] * 3
    )
    path = tmp_path / name
    text = "sex" + sep + "decision\n" + "".join(f"{s}{sep}{d}\n" for s, d in rows)
    path.write_bytes(text.encode(encoding))
    return path


def _audit_words(path, *options):
    """``adverse-impact audit`` of a words file: its decision column by sex, plus options."""
    return main(["audit", str(path), "--selected", "decision", "--group", "sex", *options])


#: The options that read the words files' Y/N decisions and pass their gate.
_YES_NO = ("--selected-values", "Y,N", "--fail-under", "0.1")


def test_word_decisions_error_suggests_the_option_then_the_option_works(tmp_path, capsys):
    path = _words_csv(tmp_path)
    assert _audit_words(path) == 2
    err = capsys.readouterr().err
    assert "--selected-values Y,N" in err and ".map(" not in err
    assert _audit_words(path, *_YES_NO) == 0
    out = capsys.readouterr().out
    assert "0.300" in out and "0.600" in out  # 12/40 women, 48/80 men
    assert _audit_words(path, "--selected-values", "Y,Maybe") == 2
    assert "also holds 'N'" in capsys.readouterr().err


def test_semicolon_csv_is_read_by_its_delimiter(tmp_path, capsys):
    path = _words_csv(tmp_path, sep=";")
    assert _audit_words(path, *_YES_NO) == 0
    assert "Female" in capsys.readouterr().out


def test_non_utf8_file_names_the_encoding_option(tmp_path, capsys):
    path = _words_csv(tmp_path, encoding="latin-1")
    assert _audit_words(path, *_YES_NO) == 2
    err = capsys.readouterr().err
    assert "is not utf-8 text" in err and "--encoding latin-1" in err
    assert _audit_words(path, *_YES_NO, "--encoding", "latin-1") == 0
    assert "Femme é" in capsys.readouterr().out


def test_xlsx_is_read_with_openpyxl_and_its_absence_is_explained(tmp_path, capsys, monkeypatch):
    pytest.importorskip("openpyxl")
    frame = pd.read_csv(_words_csv(tmp_path))
    path = tmp_path / "applicants.xlsx"
    frame.to_excel(path, index=False)
    assert _audit_words(path, *_YES_NO) == 0
    assert "Female" in capsys.readouterr().out
    monkeypatch.setitem(sys.modules, "openpyxl", None)  # as if not installed
    assert _audit_words(path, *_YES_NO) == 2
    err = capsys.readouterr().err
    assert 'pip install "adverse-impact[excel]"' in err and "well-formed" not in err


def test_report_options_reach_every_report(tmp_path, capsys):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    common = [
        "audit",
        str(path),
        "--selected",
        "advanced",
        "--group",
        "sex",
        "--data-source",
        "ATS export, 2026 Q3",
        "--audit-date",
        "2026-11-30",
        "--data-kind",
        "test",
        "--title",
        "Screening audit",
    ]
    assert main(common + ["--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert md.startswith("# Screening audit") and "2026-11-30" in md
    assert "ATS export, 2026 Q3 (test data)" in md
    assert main(common + ["--format", "html"]) == 0
    page = capsys.readouterr().out
    assert "<title>Screening audit</title>" in page and "(test data)" in page
    assert main(common + ["--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)["report"]
    assert report == {
        "title": "Screening audit",
        "data_source": "ATS export, 2026 Q3",
        "audit_date": "2026-11-30",
        "data_type": "test",
    }
    with pytest.raises(SystemExit):
        main(common[:-2] + ["--audit-date", "30/11/2026"])
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_piping_into_head_ends_quietly(tmp_path):
    rows = 4_000
    frame = pd.DataFrame(
        {
            "sex": [f"group {i % 300:03d}" for i in range(rows)],
            "advanced": [i % 2 for i in range(rows)],
        }
    )
    path = tmp_path / "many.csv"
    frame.to_csv(path, index=False)
    command = (
        f'"{sys.executable}" -m adverse_impact audit "{path}" --selected advanced '
        "--group sex --fail-under 0.1 --format json | head -n 2"
    )
    done = subprocess.run(
        command, shell=True, capture_output=True, text=True, timeout=300, check=False
    )
    assert len(done.stdout.splitlines()) == 2
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr, done.stderr
    # The gate's verdict survives the closed pipe: status 1 and its line on stderr.
    command = command.replace("--fail-under 0.1", "--fail-under 1.0").replace(
        "| head -n 2", "| head -n 2; exit ${PIPESTATUS[0]}"
    )
    done = subprocess.run(
        ["bash", "-c", command], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 1 and "fail the rule" in done.stderr, done.stderr


def test_out_creates_missing_directories_and_unwritable_is_one_line(tmp_path, capsys):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    target = tmp_path / "reports" / "2026" / "audit.md"
    assert (
        main(
            [
                "audit",
                str(path),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--format",
                "markdown",
                "--out",
                str(target),
            ]
        )
        == 0
    )
    assert target.read_text(encoding="utf-8").startswith("# Bias audit summary")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert (
        main(
            [
                "audit",
                str(path),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--out",
                str(blocker / "audit.md"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "--out: cannot write" in err and "Traceback" not in err


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    from adverse_impact._core import _render

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "adverse-impact\[plot\]"'):
        _render.pyplot()
    import adverse_impact as ai

    swaps = ai.counterfactual_test(lambda texts: [0.5] * len(texts), ["her chess club"])
    with pytest.raises(ImportError, match=r"adverse-impact\[plot\]"):
        swaps.plot()


def test_gate_line_says_when_a_flag_rests_on_a_handful_of_people(tmp_path, capsys):
    path = tmp_path / "tiny.csv"
    path.write_text("sex,advanced\n" + "M,1\n" * 30 + "M,0\n" * 70 + "X,0\n")
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex"]) == 1
    err = capsys.readouterr().err
    assert "sex=X: impact ratio 0.000, 0 of 1 selected; few people" in err


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(tmp_path, sep):
    from adverse_impact._cli import read_table

    path = tmp_path / "data.csv"
    path.write_text(
        sep.join(["sex", "score", "advanced"])
        + "\n"
        + "".join(
            f"{s}{sep}{x}{sep}{a}\n"
            for s, x, a in [("F", "0,5" if sep == ";" else "0.5", 1), ("M", "1", 0)] * 20
        )
    )
    frame = read_table(str(path), ["sex"])
    assert list(frame.columns) == ["sex", "score", "advanced"] and len(frame) == 40


def test_delimiter_and_encoding_options(tmp_path, capsys):
    path = tmp_path / "data.csv"
    path.write_text("sex;advanced\nF;1\nM;0\n")
    assert (
        main(
            [
                "audit",
                str(path),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--delimiter",
                ",",
                "--fail-under",
                "0",
            ]
        )
        == 2
    )
    assert "no column 'advanced'" in capsys.readouterr().err  # one column "sex;advanced"
    assert (
        main(
            [
                "audit",
                str(path),
                "--selected",
                "advanced",
                "--group",
                "sex",
                "--encoding",
                "no-such-codec",
            ]
        )
        == 2
    )
    assert "not a known text encoding" in capsys.readouterr().err


@pytest.mark.parametrize(
    "labels, hint",
    [
        (["No", "Yes"], "--selected-values Yes,No"),
        (["rejected", "hired"], "--selected-values hired,rejected"),
        (["Not advanced", "Advanced"], "--selected-values 'Advanced,Not advanced'"),
        (["red", "blue"], "--selected-values red,blue"),
        (["a", "b", "c"], "--selected-values Y,N"),
    ],
)
def test_word_decisions_error_names_the_columns_own_labels(tmp_path, capsys, labels, hint):
    # The fix in the message is a command line the user can paste: their own two labels,
    # the one that reads as "selected" first (else in the order of the file), quoted
    # for the shell; with other than two labels, the generic example.
    path = tmp_path / "words.csv"
    rows = [(sex, labels[i % len(labels)]) for i, sex in enumerate(["F", "M"] * 12)]
    path.write_text("sex,decision\n" + "".join(f"{s},{d}\n" for s, d in rows))
    assert _audit_words(path) == 2
    assert hint in capsys.readouterr().err
