"""Shared fixtures and helpers for the test suite."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import settings

matplotlib.use("Agg")

# CI runs the property tests on a fixed sequence of examples, so a landing never
# depends on luck; `pytest --hypothesis-profile=explore` searches afresh with more
# examples (run it when changing the statistics, and add what it finds as tests).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", max_examples=2_000, derandomize=False)
settings.load_profile("ci")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture
def two_attributes(rng) -> pd.DataFrame:
    n = 2_000
    sex = rng.choice(["Female", "Male"], n, p=[0.4, 0.6]).astype(object)
    race = rng.choice(
        ["White", "Black or African American", "Asian", "Hispanic or Latino"],
        n,
        p=[0.55, 0.2, 0.15, 0.1],
    ).astype(object)
    sex[rng.random(n) < 0.03] = None
    p = np.where(sex == "Female", 0.25, 0.4) + np.where(race == "White", 0.05, 0.0)
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "advanced": (rng.random(n) < p).astype(int),
            "score": np.round(rng.normal(size=n), 1),
        }
    )


@pytest.fixture(scope="session")
def adult_counts() -> pd.DataFrame:
    """A made-up geography table for impute_race(zcta_table=...) (see _helpers.adult_counts)."""
    from _helpers import adult_counts as build

    return build()
