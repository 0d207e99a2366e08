"""adverse_impact: test hiring models for adverse impact before they ship.

The public API is re-exported here; modules prefixed with ``_`` are private.
Names are imported on first use (Scientific Python SPEC 1): ``import
adverse_impact`` loads neither pandas nor scipy, so ``adverse-impact --version``
and a pytest session with the plugin installed start at once.  Each public
class and function shows its public path (``adverse_impact.AuditResult``).
"""

from typing import TYPE_CHECKING

from adverse_impact import (
    _audits,
    _bisg,
    _blackbox,
    _core,
    _monitoring,
    _proxies,
    _publish,
    _scores,
    _stats,
)
from adverse_impact._core._public import attach as _attach
from adverse_impact._core._public import homes as _homes
from adverse_impact._version import __version__

#: Where each public name lives: imported on first use, by ``__getattr__``.  The names
#: are the private subpackages' own (each one's ``PUBLIC``, read by its modules'
#: ``__all__``), so the lists cannot drift; the subpackages import nothing heavy.
_NAMES = _homes(_audits, _bisg, _blackbox, _core, _monitoring, _proxies, _publish, _scores, _stats)
#: Public submodules, reachable as attributes (``ai.stats.fisher_exact``,
#: ``ai.datasets.make_resumes``) and imported on first use like the names.
_SUBMODULES = ("case_study", "datasets", "stats", "testing")

__getattr__, __dir__ = _attach(__name__, _NAMES, _SUBMODULES, defined=["__version__"])

if TYPE_CHECKING:  # the names as type checkers and IDEs see them
    from adverse_impact import stats
    from adverse_impact._audits._audit import audit, impact_ratios, selection_rates
    from adverse_impact._audits._error_rates import error_rates
    from adverse_impact._audits._funnel import FunnelResult, TierResult, audit_funnel, audit_tiers
    from adverse_impact._audits._model import audit_model
    from adverse_impact._audits._result import AuditResult
    from adverse_impact._audits._sweep import ThresholdSweep, threshold_sweep
    from adverse_impact._bisg._impute import RaceEstimates, impute_race
    from adverse_impact._bisg._weighted import ImputedAudit, audit_imputed
    from adverse_impact._blackbox._paired import PairedTestResult, paired_test
    from adverse_impact._blackbox._rankings import RankingAudit, audit_rankings
    from adverse_impact._core._counts import GroupCounts
    from adverse_impact._core._errors import (
        AdverseImpactError,
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
    from adverse_impact._stats._gate import GateVerdict

# A literal list: linters and type checkers read it to know what the module exports
# (the imports above are re-exports); tests/core/test_public.py checks it against
# the table.
__all__ = [
    "AdverseImpactError",
    "AgeAudit",
    "AgeTrend",
    "AuditLog",
    "AuditResult",
    "CounterfactualResult",
    "Finding",
    "FunnelResult",
    "GateVerdict",
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
