"""Small builders shared by tests."""

from __future__ import annotations

import pandas as pd


def applicants(counts: dict[str, tuple[int, int]], attribute: str = "group") -> pd.DataFrame:
    """One row per applicant from {label: (selected, n)}."""
    labels, selected = [], []
    for label, (s, n) in counts.items():
        labels += [label] * n
        selected += [1] * s + [0] * (n - s)
    return pd.DataFrame({attribute: labels, "selected": selected})
