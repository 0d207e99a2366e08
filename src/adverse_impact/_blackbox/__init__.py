"""Black-box screeners: ranking audits and paired tests of scorers we cannot open."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_paired": ("PairedTestResult", "paired_test"),
    "_rankings": ("RankingAudit", "audit_rankings"),
}
