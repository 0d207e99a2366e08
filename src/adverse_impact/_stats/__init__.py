"""Statistics on counts: tests, power, multiplicity, significance columns."""

#: The names ``adverse_impact`` exports from this subpackage, by module, as in the
#: other subpackages: the gate's verdict.  The statistics are public in ``stats``.
PUBLIC = {"_gate": ("GateVerdict",)}

#: The public names of each statistics module, in one place: each module's ``__all__``
#: reads its entry, and :mod:`adverse_impact.stats` builds its lazy table from them
#: without importing the modules (they import scipy; ``tests/core/test_public.py``).
STATS = {
    "_implied": ("implied_d", "implied_impact_ratio"),
    "_power": (
        "PowerResult",
        "SampleSizeResult",
        "minimum_detectable_ratio",
        "power",
        "sample_size",
    ),
    "_tests": (
        "ChiSquareResult",
        "FisherResult",
        "ImpactRatioResult",
        "MantelHaenszelResult",
        "OddsRatioResult",
        "ShortfallResult",
        "ZTestResult",
        "chi_square",
        "cohens_h",
        "fisher_exact",
        "flip_flop",
        "impact_ratio_test",
        "mantel_haenszel",
        "odds_ratio",
        "rate_difference",
        "shortfall",
        "two_proportion_z",
    ),
}
