"""adverse_impact: test hiring models for adverse impact before they ship.

The public API is re-exported here; modules prefixed with ``_`` are private.
"""

from adverse_impact import stats
from adverse_impact._audit import audit, impact_ratios, selection_rates
from adverse_impact._counterfactual import CounterfactualResult, counterfactual_test
from adverse_impact._counts import GroupCounts
from adverse_impact._errors import AdverseImpactError, InputError, InputTypeError
from adverse_impact._model import ThresholdSweep, audit_model, error_rates, threshold_sweep
from adverse_impact._monitoring._log import AuditLog
from adverse_impact._monitoring._monitor import MonitorResult, monitor
from adverse_impact._proxies import (
    ProxyLeakage,
    ProxyScan,
    Recoverability,
    proxy_leakage,
    proxy_scan,
    recoverability,
)
from adverse_impact._result import AuditResult
from adverse_impact._text import TOKEN_PATTERN, TokenProxies, token_proxies
from adverse_impact._version import __version__

#: Subpackages reachable as attributes (``ai.datasets.make_resumes``) but
#: imported on first use: the case study pulls in fairlearn, testing pytest.
_SUBMODULES = ("case_study", "datasets", "testing")


def __getattr__(name: str):
    if name in _SUBMODULES:
        import importlib

        return importlib.import_module(f"adverse_impact.{name}")
    raise AttributeError(f"module 'adverse_impact' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_SUBMODULES])

__all__ = [
    "TOKEN_PATTERN",
    "AdverseImpactError",
    "AuditLog",
    "AuditResult",
    "CounterfactualResult",
    "GroupCounts",
    "InputError",
    "InputTypeError",
    "MonitorResult",
    "ProxyLeakage",
    "ProxyScan",
    "Recoverability",
    "ThresholdSweep",
    "TokenProxies",
    "__version__",
    "audit",
    "audit_model",
    "counterfactual_test",
    "error_rates",
    "impact_ratios",
    "monitor",
    "proxy_leakage",
    "proxy_scan",
    "recoverability",
    "selection_rates",
    "stats",
    "threshold_sweep",
    "token_proxies",
]
