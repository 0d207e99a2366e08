"""The command line, through its real entry point."""

from __future__ import annotations

import subprocess
import sys

from adverse_impact._cli import main


def test_example_command_prints_the_audit(capsys):
    assert main(["example"]) == 0
    out = capsys.readouterr().out
    assert "Black" in out and "0.500" in out and "FAILS" in out


def test_help_and_version_through_python_dash_m():
    done = subprocess.run([sys.executable, "-m", "adverse_impact", "--help"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "example" in done.stdout
    done = subprocess.run([sys.executable, "-m", "adverse_impact", "--version"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "adverse-impact" in done.stdout


# --- adverse-impact audit -------------------------------------------------------------

import json  # noqa: E402

import pandas as pd  # noqa: E402
import pytest  # noqa: E402


def _applicants_csv(tmp_path, *, women=(12, 40), men=(48, 80)):
    rows = ([("F", 1)] * women[0] + [("F", 0)] * (women[1] - women[0])
            + [("M", 1)] * men[0] + [("M", 0)] * (men[1] - men[0]))
    frame = pd.DataFrame(rows, columns=["sex", "advanced"])
    frame["site"] = ["north", "south"] * (len(frame) // 2) + ["north"] * (len(frame) % 2)
    path = tmp_path / "applicants.csv"
    frame.to_csv(path, index=False)
    return path


def _run(*args):
    """The installed console entry point, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "adverse_impact", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


def test_audit_exit_status_is_1_when_the_gate_fails(tmp_path):
    path = _applicants_csv(tmp_path)
    done = _run("audit", path, "--selected", "advanced", "--group", "sex")
    assert done.returncode == 1, done.stderr
    assert "F" in done.stdout and "0.500" in done.stdout
    assert "gate failed" in done.stderr and "sex=F" in done.stderr


def test_audit_exit_status_is_0_when_the_gate_passes(tmp_path):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    done = _run("audit", path, "--selected", "advanced", "--group", "sex")
    assert done.returncode == 0, done.stderr


def test_fail_under_and_significance_rules(tmp_path, capsys):
    # 2/10 vs 5/10: ratio 0.4, Fisher p = 0.35: fails four-fifths, passes "both".
    path = _applicants_csv(tmp_path, women=(2, 10), men=(5, 10))
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex"]) == 1
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex",
                 "--rule", "both"]) == 0
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex",
                 "--fail-under", "0.35"]) == 0


@pytest.mark.parametrize("fmt,check", [
    ("markdown", lambda text: "| " in text and "Impact" in text.title()),
    ("html", lambda text: text.lstrip().lower().startswith("<!doctype html") and "<svg" in text),
    ("json", lambda text: json.loads(text)["table"][0]["group"] in {"F", "M"}),
])
def test_each_format_to_stdout_and_to_a_file(tmp_path, capsys, fmt, check):
    path = _applicants_csv(tmp_path, women=(30, 40), men=(60, 80))
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex",
                 "--format", fmt]) == 0
    assert check(capsys.readouterr().out)
    out = tmp_path / f"report.{fmt}"
    assert main(["audit", str(path), "--selected", "advanced", "--group", "sex",
                 "--format", fmt, "--out", str(out)]) == 0
    assert check(out.read_text(encoding="utf-8"))


def test_strata_and_parquet(tmp_path, capsys):
    path = _applicants_csv(tmp_path)
    parquet = tmp_path / "applicants.parquet"
    pd.read_csv(path).to_parquet(parquet)
    assert main(["audit", str(parquet), "--selected", "advanced", "--group", "sex",
                 "--strata", "site", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["pooled"][0]["n_strata"] == 2


@pytest.mark.parametrize("content,expected", [
    ("sex,advanced\nF,1\nM,0\n", "no column 'hired'"),
    ("", "cannot read"),
    ("sex,hired\n", "no rows"),
    ("sex,hired\nF,maybe\nM,1\n", "selected: must hold 0/1"),
])
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
    code = main(["audit-model", str(tmp_path / "model.skops"), str(tmp_path / "candidates.csv"),
                 "--text", "resume", "--group", "sex", "--threshold", "0.5"])
    assert code == 1  # the model never selects the women's-club resumes
    assert "F" in capsys.readouterr().out


def test_audit_model_refuses_pickles_unless_trusted(tmp_path, capsys):
    import joblib

    model = _text_model_files(tmp_path)
    joblib.dump(model, tmp_path / "model.joblib")
    args = ["audit-model", str(tmp_path / "model.joblib"), str(tmp_path / "candidates.csv"),
            "--text", "resume", "--group", "sex", "--threshold", "0.5"]
    assert main(args) == 2
    assert "runs whatever code" in capsys.readouterr().err
    assert main([*args, "--trust-model-file"]) == 1


def test_audit_model_rejects_a_corrupt_model_file(tmp_path, capsys):
    _text_model_files(tmp_path)
    (tmp_path / "broken.skops").write_bytes(b"not a zip file")
    assert main(["audit-model", str(tmp_path / "broken.skops"),
                 str(tmp_path / "candidates.csv"), "--text", "resume", "--group", "sex"]) == 2
    assert "skops" in capsys.readouterr().err


def test_audit_model_top_k_inside_tied_scores_is_refused_or_broken_at_random(tmp_path, capsys):
    # Five distinct resumes, 20 copies each: the top 30 cuts through a block of 20 ties.
    _text_model_files(tmp_path)
    args = ["audit-model", str(tmp_path / "model.skops"), str(tmp_path / "candidates.csv"),
            "--text", "resume", "--group", "sex", "--select-top", "30"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "select_top=30 cuts through 20 candidates tied" in err and "Traceback" not in err
    assert main([*args, "--ties", "random", "--random-state", "0", "--format", "json"]) in (0, 1)
    out = json.loads(capsys.readouterr().out)
    assert out["params"]["n_selected"] == out["params"]["requested_selected"] == 30
    assert out["params"]["n_tie_break"] == 10
