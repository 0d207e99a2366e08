"""adverse_impact: test hiring models for adverse impact before they ship.

The public API is re-exported here; modules prefixed with ``_`` are private.
"""

from adverse_impact import stats
from adverse_impact._audits._audit import audit, impact_ratios, selection_rates
from adverse_impact._audits._error_rates import error_rates
from adverse_impact._audits._funnel import FunnelResult, TierResult, audit_funnel, audit_tiers
from adverse_impact._audits._model import audit_model
from adverse_impact._audits._result import AuditResult
from adverse_impact._audits._sweep import ThresholdSweep, threshold_sweep
from adverse_impact._bisg import ImputedAudit, RaceEstimates, audit_imputed, impute_race
from adverse_impact._blackbox._paired import PairedTestResult, paired_test
from adverse_impact._blackbox._rankings import RankingAudit, audit_rankings
from adverse_impact._core._counts import GroupCounts
from adverse_impact._core._errors import (
    AdverseImpactError,
    AliasWarning,
    InputError,
    InputTypeError,
    UnknownCategoryWarning,
)
from adverse_impact._monitoring._log import AuditLog
from adverse_impact._monitoring._monitor import MonitorResult, monitor
from adverse_impact._proxies._counterfactual import CounterfactualResult, counterfactual_test
from adverse_impact._proxies._scan import (
    ProxyLeakage,
    ProxyScan,
    Recoverability,
    proxy_leakage,
    proxy_scan,
    recoverability,
)
from adverse_impact._proxies._tokens import TOKEN_PATTERN, TokenProxies, token_proxies
from adverse_impact._publish._check import Finding, SummaryCheck, check_summary
from adverse_impact._publish._ll144 import LL144Packet
from adverse_impact._scores._age import AgeAudit, AgeTrend, age_groups, audit_age
from adverse_impact._scores._alternatives import (
    ModelComparison,
    compare_models,
    search_alternatives,
)
from adverse_impact._scores._gaps import ScoreGaps, score_gaps
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
    "AdverseImpactError",
    "AgeAudit",
    "AgeTrend",
    "AliasWarning",
    "AuditLog",
    "AuditResult",
    "CounterfactualResult",
    "Finding",
    "FunnelResult",
    "ImputedAudit",
    "GroupCounts",
    "InputError",
    "InputTypeError",
    "LL144Packet",
    "ModelComparison",
    "MonitorResult",
    "PairedTestResult",
    "ProxyLeakage",
    "ProxyScan",
    "RaceEstimates",
    "RankingAudit",
    "Recoverability",
    "ScoreGaps",
    "SummaryCheck",
    "TOKEN_PATTERN",
    "ThresholdSweep",
    "TierResult",
    "TokenProxies",
    "UnknownCategoryWarning",
    "__version__",
    "age_groups",
    "audit",
    "audit_age",
    "audit_funnel",
    "audit_imputed",
    "audit_model",
    "audit_rankings",
    "audit_tiers",
    "check_summary",
    "compare_models",
    "counterfactual_test",
    "error_rates",
    "impact_ratios",
    "impute_race",
    "monitor",
    "paired_test",
    "proxy_leakage",
    "proxy_scan",
    "recoverability",
    "score_gaps",
    "search_alternatives",
    "selection_rates",
    "stats",
    "threshold_sweep",
    "token_proxies",
]
