"""Significance and effect-size statistics for adverse impact, on counts.

Pure functions of counts: a focal group ``a`` with ``sel_a`` of ``n_a``
applicants selected, compared with a group ``b`` (the reference group, or all
other groups) with ``sel_b`` of ``n_b``.  Every function accepts integers or
NumPy arrays of counts (broadcast together) and returns a small immutable
result.  The cost depends on the number of comparisons, never on the number
of applicants.  This module is the public face; the work lives in
``adverse_impact._stats``.
"""

from adverse_impact._stats._implied import implied_d, implied_impact_ratio
from adverse_impact._stats._power import (
    PowerResult,
    SampleSizeResult,
    minimum_detectable_ratio,
    power,
    sample_size,
)
from adverse_impact._stats._tests import (
    ChiSquareResult,
    FisherResult,
    ImpactRatioResult,
    MantelHaenszelResult,
    OddsRatioResult,
    ShortfallResult,
    ZTestResult,
    chi_square,
    cohens_h,
    fisher_exact,
    flip_flop,
    impact_ratio_test,
    mantel_haenszel,
    odds_ratio,
    rate_difference,
    shortfall,
    two_proportion_z,
)

__all__ = [
    "ChiSquareResult",
    "FisherResult",
    "ImpactRatioResult",
    "MantelHaenszelResult",
    "OddsRatioResult",
    "PowerResult",
    "SampleSizeResult",
    "ShortfallResult",
    "ZTestResult",
    "chi_square",
    "cohens_h",
    "fisher_exact",
    "flip_flop",
    "impact_ratio_test",
    "implied_d",
    "implied_impact_ratio",
    "mantel_haenszel",
    "minimum_detectable_ratio",
    "odds_ratio",
    "power",
    "rate_difference",
    "sample_size",
    "shortfall",
    "two_proportion_z",
]
