"""Significance and effect-size statistics for adverse impact, on counts.

Pure functions of counts: a focal group ``a`` with ``sel_a`` of ``n_a``
applicants selected, compared with a group ``b`` (the reference group, or all
other groups) with ``sel_b`` of ``n_b``.  Every function accepts integers or
NumPy arrays of counts (broadcast together) and returns a small immutable
result.  The cost depends on the number of comparisons, never on the number
of applicants.  This module is the public face; the work lives in
``adverse_impact._stats``, imported on first use.

Results of the tests unpack like scipy's, statistic first and p-value
second:

>>> from adverse_impact import stats
>>> stat, p = stats.two_proportion_z(5, 20, 12, 20)
>>> round(stat, 3), round(p, 4)
(-2.239, 0.0252)
"""

from typing import TYPE_CHECKING

from adverse_impact import _stats
from adverse_impact._core._public import attach as _attach
from adverse_impact._core._public import homes as _homes

#: Where each statistic lives: imported on first use (scipy is not loaded
#: until a statistic is), and shown as ``adverse_impact.stats.<name>``.  The names
#: are the private modules' own (``_stats.STATS``), so the two lists cannot drift.
_NAMES = _homes(_stats, table="STATS")

__getattr__, __dir__ = _attach(__name__, _NAMES)

if TYPE_CHECKING:  # the names as type checkers and IDEs see them
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

# A literal list: linters and type checkers read it to know what the module exports
# (the imports above are re-exports); tests/core/test_public.py checks it against
# the table.
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
