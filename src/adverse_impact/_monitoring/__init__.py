"""Monitoring a deployed screener over time, and the record of past audits."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_log": ("AuditLog",),
    "_monitor": ("MonitorResult", "monitor"),
}
