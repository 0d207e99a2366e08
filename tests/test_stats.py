"""The public statistics module (``stats.py``): a table of names, loaded on first use.

Each statistic is tested in ``tests/stats/``; here, the public face: every name
reaches its private home, nothing else is reachable, and nothing is stored.
"""

from __future__ import annotations

import importlib

import pytest

from adverse_impact import stats
from adverse_impact._stats import STATS


def test_the_public_list_is_the_private_modules_lists_sorted():
    private = sorted(name for names in STATS.values() for name in names)
    assert stats.__all__ == private
    assert sorted(dir(stats)) == private


@pytest.mark.parametrize("name", stats.__all__)
def test_every_name_is_the_object_its_private_module_defines(name):
    home = importlib.import_module(stats._NAMES[name])
    assert getattr(stats, name) is getattr(home, name)
    assert getattr(stats, name).__module__ == "adverse_impact.stats"
    # Reached through __getattr__ every time: the name is not stored in the module.
    assert name not in vars(stats)


@pytest.mark.parametrize("name", ["np", "norm", "Any", "PUBLIC", "STATS", "_tests", "annotations"])
def test_the_modules_own_imports_are_not_public_names(name):
    with pytest.raises(
        AttributeError, match=rf"^module 'adverse_impact.stats' has no attribute '{name}'$"
    ):
        getattr(stats, name)


def test_star_import_gives_exactly_the_public_names():
    namespace: dict = {}
    exec("from adverse_impact.stats import *", namespace)
    assert sorted(k for k in namespace if k != "__builtins__") == stats.__all__
