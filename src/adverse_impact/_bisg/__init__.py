"""Race estimates when race is not recorded: BISG, and audits from probabilities."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_impute": ("RaceEstimates", "impute_race"),
    "_weighted": ("ImputedAudit", "audit_imputed"),
}
