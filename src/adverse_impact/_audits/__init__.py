"""Audits: selection rates from counts, the audit result, models, sweeps, funnels."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_audit": ("audit", "impact_ratios", "selection_rates"),
    "_error_rates": ("error_rates",),
    "_funnel": ("FunnelResult", "TierResult", "audit_funnel", "audit_tiers"),
    "_model": ("audit_model",),
    "_result": ("AuditResult",),
    "_sweep": ("ThresholdSweep", "threshold_sweep"),
}
