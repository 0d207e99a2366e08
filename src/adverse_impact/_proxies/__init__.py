"""What stands in for a protected attribute, and whether a model uses it."""

#: The names ``adverse_impact`` exports from this subpackage, by module: each module's
#: ``__all__`` reads its entry, and the package's lazy table is built from it.
PUBLIC = {
    "_counterfactual": ("CounterfactualResult", "counterfactual_test"),
    "_scan": (
        "ProxyLeakage",
        "ProxyScan",
        "Recoverability",
        "proxy_leakage",
        "proxy_scan",
        "recoverability",
    ),
    "_tokens": ("TOKEN_PATTERN", "TokenProxies", "token_proxies"),
}
