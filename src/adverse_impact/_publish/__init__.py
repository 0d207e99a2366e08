"""Publication: the NYC Local Law 144 packet and checks of published audit summaries."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_check": ("Finding", "SummaryCheck", "check_summary"),
    "_ll144": ("LL144Packet",),
}
