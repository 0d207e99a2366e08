"""Benchmark data, generated deterministically (the same in every process and venv)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SEXES = ["Female", "Male", "Unknown"]
RACES = [
    "White",
    "Black or African American",
    "Asian",
    "Hispanic or Latino",
    "Native Hawaiian or Pacific Islander",
    "Native American or Alaska Native",
    "Two or More Races",
]


def applicants(rows: int, seed: int = 0) -> pd.DataFrame:
    """sex (3) x race (7) string columns and a 0/1 ``selected`` column (~30% selected)."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(len(SEXES), size=rows, p=[0.45, 0.5, 0.05])
    race = rng.choice(len(RACES), size=rows, p=[0.5, 0.13, 0.12, 0.17, 0.02, 0.02, 0.04])
    rate = np.where(sex == 0, 0.25, 0.32)
    return pd.DataFrame(
        {
            "sex": np.asarray(SEXES, dtype=object)[sex],
            "race": np.asarray(RACES, dtype=object)[race],
            "selected": (rng.random(rows) < rate).astype(np.int8),
        }
    )


def categorical(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.astype({"sex": "category", "race": "category"})


def codes(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pre-encoded cell codes of sex x race and the selections: the bincount floor's input."""
    sex = pd.Categorical(frame["sex"], categories=SEXES).codes.astype(np.int64)
    race = pd.Categorical(frame["race"], categories=RACES).codes.astype(np.int64)
    return sex * len(RACES) + race, frame["selected"].to_numpy()
