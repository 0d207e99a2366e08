"""The accepted values of the library's options, where the command line can read them.

``adverse-impact --help`` builds every subcommand's parser; importing the
modules that check these options would load pandas and scipy first.  The
lists live here, in a module that imports nothing, and the checking modules
and the command line both read them (``tests/test_startup.py`` holds the
ones kept beside engine-specific tables to the same values).
"""

from __future__ import annotations

#: The gate policies of every result's ``passes``/``failing``.
RULES = ("four_fifths", "significance", "both", "either")
#: What each group's test compares it with.
COMPARISONS = ("reference", "rest")
#: The tests behind the ``significant`` column (keys of ``_stats._significance.TESTS``).
TESTS = ("fisher", "fisher_midp", "z")
#: Base of the small-category share in an audit (6 RCNY 5-301(d)).
SHARE_OF = ("known", "all")
#: Accepted bases of the small-category share in a published summary's check;
#: "either" accepts a decision that is right under one of them.
SHARE_BASES = ("either", *SHARE_OF)
#: Calendar periods of a monitor (keys of ``_core._counts.PERIODS``).
PERIODS = ("day", "week", "month", "quarter", "year")
#: How a model's tied scores at the cut-off are broken.
TIES = ("error", "random")
