"""The pytest plugin: assertion rewriting, a fixture, and audit evidence for CI.

Registered through the ``pytest11`` entry point, so installing the library
is enough.  With ``--adverse-impact-report=DIR`` every audit made during a
test (through the fixture or the :mod:`adverse_impact.testing` assertions)
is written to DIR as JSON and HTML, named after the test (with the gate's
verdict, :meth:`GateVerdict.message`, beside it when an assertion gave one); with
``--adverse-impact-log=PATH`` each is also appended to the audit log at PATH
(:class:`adverse_impact.AuditLog`), labelled with the test's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Must run before adverse_impact.testing is imported by a test module.
pytest.register_assert_rewrite("adverse_impact.testing")

_OPTION = "--adverse-impact-report"
_LOG_OPTION = "--adverse-impact-log"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("adverse-impact")
    group.addoption(
        _OPTION,
        dest="adverse_impact_report",
        metavar="DIR",
        default=None,
        help="write every audit made during each test to DIR as JSON and HTML",
    )
    group.addoption(
        _LOG_OPTION,
        dest="adverse_impact_log",
        metavar="PATH",
        default=None,
        help="append every audit made during each test to the audit log at PATH",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "adverse_impact: a release-gate test that audits a model")


class AuditRecorder:
    """The ``adverse_impact`` fixture: audit, and keep the evidence.

    ``adverse_impact.audit(...)``, ``adverse_impact.audit_model(...)`` and
    ``adverse_impact.monitor(...)`` call the library's functions and record the
    result; ``record(result)`` keeps one made elsewhere.  ``results`` lists what this test recorded.
    """

    def __init__(self, recorded: list[tuple[str, Any, Any]]) -> None:
        self._recorded = recorded

    @property
    def results(self) -> list[Any]:
        return [entry[1] for entry in self._recorded]

    def record(self, result: Any, kind: str = "audit") -> Any:
        # (kind, result, verdict): no gate has decided on a result recorded here.
        self._recorded.append((kind, result, None))
        return result

    def audit(self, *args: Any, **kwargs: Any) -> Any:
        from adverse_impact._audits._audit import audit

        return self.record(audit(*args, **kwargs))

    def audit_model(self, *args: Any, **kwargs: Any) -> Any:
        from adverse_impact._audits._model import audit_model

        return self.record(audit_model(*args, **kwargs))

    def monitor(self, *args: Any, **kwargs: Any) -> Any:
        from adverse_impact._monitoring._monitor import monitor

        return self.record(monitor(*args, **kwargs), kind="monitor")


def _safe_name(nodeid: str) -> str:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_.")
    return name[-150:] or "test"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    from adverse_impact import testing

    recorded: list[tuple[str, Any, Any]] = getattr(item, "_adverse_impact_recorded", [])
    item._adverse_impact_recorded = recorded  # type: ignore[attr-defined]
    previous, testing._recorded = testing._recorded, recorded
    try:
        return (yield)
    finally:
        testing._recorded = previous
        directory = item.config.getoption("adverse_impact_report")
        if directory and recorded:
            _write(Path(directory), _safe_name(item.nodeid), recorded)
        log = item.config.getoption("adverse_impact_log")
        if log and recorded:
            _log(log, item.nodeid, recorded)


def _log(path: str, nodeid: str, recorded: list[tuple[str, Any, Any]]) -> None:
    from adverse_impact._audits._result import AuditResult
    from adverse_impact._monitoring._log import AuditLog
    from adverse_impact._monitoring._monitor import MonitorResult

    log = AuditLog(path)
    for _, result, verdict in recorded:
        # The verdict the assertion gave (rule, family, correction), when one did; the
        # log holds audits and monitors, the results it can rebuild.
        if isinstance(result, (AuditResult, MonitorResult)):
            log.add(result, label=nodeid, verdict=verdict)


def _write(directory: Path, stem: str, recorded: list[tuple[str, Any, Any]]) -> None:
    from adverse_impact._core._io import write_atomic

    directory.mkdir(parents=True, exist_ok=True)
    for i, (kind, result, verdict) in enumerate(recorded):
        suffix = "" if len(recorded) == 1 else f"-{i + 1}"
        if verdict is not None:
            # The gate's decision as the assertion gave it: rule, family, correction.
            write_atomic(directory / f"{stem}{suffix}.verdict.txt", verdict.message() + "\n")
        if hasattr(result, "to_json"):
            write_atomic(directory / f"{stem}{suffix}.json", result.to_json())
        if hasattr(result, "to_html"):
            write_atomic(directory / f"{stem}{suffix}.html", result.to_html())
        elif not hasattr(result, "to_json") and hasattr(result, "to_frame"):
            write_atomic(
                directory / f"{stem}{suffix}-{kind}.csv", result.to_frame().to_csv(index=False)
            )


@pytest.fixture
def adverse_impact(request: pytest.FixtureRequest) -> AuditRecorder:
    """Audit inside a test and keep the result as CI evidence."""
    recorded = getattr(request.node, "_adverse_impact_recorded", None)
    if recorded is None:
        recorded = []
        request.node._adverse_impact_recorded = recorded
    return AuditRecorder(recorded)
