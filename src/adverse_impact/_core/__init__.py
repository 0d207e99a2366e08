"""The core: errors, validation, dataframes, group coding, counts, frozen results, formatting."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_counts": ("GroupCounts",),
    "_errors": ("AdverseImpactError", "InputError", "InputTypeError", "UnknownCategoryWarning"),
}
