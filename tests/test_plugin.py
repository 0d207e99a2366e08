"""The pytest plugin (``_plugin.py``): the fixture, the evidence folder, the audit log.

The gate assertions it rewrites are tested in ``test_testing.py``.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

import adverse_impact as ai
from adverse_impact._plugin import AuditRecorder, _safe_name, _write

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True, scope="module")
def _loaded_before_the_inner_sessions():
    # pytester runs each inner session in this process and then forgets the modules it
    # imported; numpy's C extensions cannot be loaded twice in one process, so what the
    # inner tests use (an audit and its gate, a monitor, their reports) is loaded here.
    result = ai.audit(selected=[1, 0, 0, 1] * 5, sensitive_features={"sex": list("FFMM") * 5})
    result.passes(alpha=0.05, rule="both")
    result.to_html()
    monitored = ai.monitor(
        time=["2025-01-02", "2025-02-03"] * 2,
        selected=[1, 0, 1, 1],
        sensitive_features={"sex": list("FFMM")},
    )
    monitored.to_html()


def test_plugin_fixture_and_report_directory(pytester):
    pytester.makepyfile(
        test_release_gate="""
        import adverse_impact.testing as ait

        def test_release(adverse_impact):
            result = adverse_impact.audit(selected=[1, 0, 1, 1],
                                          sensitive_features={"sex": ["F", "F", "M", "M"]})
            assert result.n_total == 4

        def test_assertion_is_recorded():
            import adverse_impact as ai
            ait.assert_no_adverse_impact(
                ai.audit(selected=[1, 0, 0, 1] * 5, sensitive_features={"sex": ["F", "F", "M", "M"] * 5}))
    """
    )
    result = pytester.runpytest("--adverse-impact-report=evidence")
    result.assert_outcomes(passed=2)
    written = sorted(p.name for p in (pytester.path / "evidence").iterdir())
    assert written == [
        "test_release_gate.py_test_assertion_is_recorded.html",
        "test_release_gate.py_test_assertion_is_recorded.json",
        "test_release_gate.py_test_assertion_is_recorded.verdict.txt",
        "test_release_gate.py_test_release.html",
        "test_release_gate.py_test_release.json",
    ]
    report = json.loads(
        (pytester.path / "evidence" / "test_release_gate.py_test_release.json").read_text()
    )
    assert {row["group"] for row in report["table"]} == {"F", "M"}


def test_pytest_plugin_appends_every_gated_audit_to_the_log(pytester):
    pytester.makepyfile(
        test_release_gate="""
        import adverse_impact as ai
        import adverse_impact.testing as ait

        def test_release(adverse_impact):
            adverse_impact.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]})
            adverse_impact.monitor(time=["2025-01-02", "2025-02-03"] * 2,
                                   selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]})

        def test_assertion_is_recorded():
            ait.assert_no_adverse_impact(
                ai.audit(selected=[1, 0, 0, 1] * 5, sensitive_features={"sex": ["F", "F", "M", "M"] * 5}),
                alpha=0.05)
    """
    )
    result = pytester.runpytest("--adverse-impact-log=gate.db", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    history = ai.AuditLog(pytester.path / "gate.db").history()
    assert sorted(history["label"]) == [
        "test_release_gate.py::test_assertion_is_recorded",
        "test_release_gate.py::test_release",
        "test_release_gate.py::test_release",
    ]
    assert sorted(history["kind"]) == ["audit", "audit", "monitor"]
    # The assertion's own verdict is logged (rule "both", its family), not four-fifths.
    gated = history[history["label"] == "test_release_gate.py::test_assertion_is_recorded"].iloc[0]
    assert gated["rule"] == "both" and "Westfall-Young maxT" in gated["verdict"]


# -- the module's own pieces -------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodeid", "name"),
    [
        ("tests/test_gate.py::test_release", "tests_test_gate.py_test_release"),
        ("test_a.py::test_b[model-0.8/rule]", "test_a.py_test_b_model-0.8_rule"),
        ("::", "test"),
        ("..", "test"),
    ],
)
def test_a_test_id_becomes_a_safe_file_stem(nodeid, name):
    assert _safe_name(nodeid) == name


def test_a_long_test_id_keeps_its_end_where_the_parameters_differ():
    stem = _safe_name("tests/" + "deep/" * 60 + "test_x.py::test_y[case-7]")
    assert len(stem) == 150 and stem.endswith("test_x.py_test_y_case-7")


class _Result:
    def __init__(self, name):
        self.name = name

    def to_json(self):
        return json.dumps({"name": self.name})

    def to_html(self):
        return f"<p>{self.name}</p>"


def test_several_results_of_one_test_are_numbered_and_a_verdict_is_kept_beside(tmp_path):
    verdict = SimpleNamespace(message=lambda: "passes: four-fifths holds")
    frame_only = SimpleNamespace(to_frame=lambda: ai.datasets.load_eeoc_example().head(2))
    _write(
        tmp_path / "evidence",
        "t",
        [
            ("audit", _Result("a"), verdict),
            ("audit", _Result("b"), None),
            ("scan", frame_only, None),
        ],
    )
    folder = tmp_path / "evidence"
    assert sorted(p.name for p in folder.iterdir()) == [
        "t-1.html",
        "t-1.json",
        "t-1.verdict.txt",
        "t-2.html",
        "t-2.json",
        "t-3-scan.csv",
    ]
    assert json.loads((folder / "t-2.json").read_text()) == {"name": "b"}
    assert (folder / "t-1.verdict.txt").read_text() == "passes: four-fifths holds\n"
    assert (folder / "t-3-scan.csv").read_text().splitlines()[0] == "race,advanced"
    _write(folder, "single", [("audit", _Result("c"), None)])
    assert (folder / "single.json").exists()  # one result: no number


def test_the_recorder_keeps_what_it_is_given_in_order():
    recorded = []
    recorder = AuditRecorder(recorded)
    first = recorder.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": list("FFMM")})
    other = recorder.record("made elsewhere", kind="scan")
    assert other == "made elsewhere"
    assert recorder.results == [first, "made elsewhere"]
    assert recorded == [("audit", first, None), ("scan", "made elsewhere", None)]


def test_without_the_options_nothing_is_written_and_the_marker_is_declared(pytester):
    pytester.makepyfile(
        test_quiet="""
        import pytest

        @pytest.mark.adverse_impact
        def test_release(adverse_impact):
            adverse_impact.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": list("FFMM")})
    """
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--strict-markers")
    result.assert_outcomes(passed=1)
    evidence = {".json", ".html", ".txt", ".csv", ".db"}
    assert [p.name for p in pytester.path.rglob("*") if p.suffix in evidence] == []
    markers = pytester.runpytest("--markers")
    markers.stdout.fnmatch_lines(["*@pytest.mark.adverse_impact: a release-gate test*"])
