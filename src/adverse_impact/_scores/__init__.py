"""Scores, age and alternatives: the questions a four-fifths table at one cut-off leaves open."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_age": ("AgeAudit", "AgeTrend", "age_groups", "audit_age"),
    "_alternatives": ("ModelComparison", "compare_models", "search_alternatives"),
    "_gaps": ("ScoreGaps", "score_gaps"),
}
