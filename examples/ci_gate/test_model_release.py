"""A release gate: this model ships only if these tests pass.

Run with ``pytest examples/ci_gate --adverse-impact-report=evidence`` to keep
every audit as JSON and HTML beside the CI log.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import skops.io as sio

from adverse_impact.datasets import make_resumes
from adverse_impact.testing import (
    assert_counterfactual_invariance,
    assert_no_adverse_impact,
    assert_no_proxy_leakage,
)

HERE = Path(__file__).resolve().parent
SELECT = 0.3  # the share of applicants the screen advances


@pytest.fixture(scope="module")
def model():
    path = HERE / "model.skops"
    if not path.exists():
        from make_model import main

        main(["--out", str(path)])
    return sio.load(path, trusted=sio.get_untrusted_types(file=path))


@pytest.fixture(scope="module")
def candidates():
    # A hold-out sample of applicants with self-reported demographics.
    return make_resumes(4_000, random_state=2024)


def test_no_adverse_impact(model, candidates):
    # Fail on a ratio below four-fifths or a significantly lower rate for women.
    assert_no_adverse_impact(
        model,
        candidates["resume"],
        candidates[["gender"]],
        select_top=SELECT,
        min_ratio=0.8,
        alpha=0.05,
        rule="either",
    )


def test_the_model_does_not_use_gendered_tokens(model, candidates):
    # Fails when a forbidden token's leakage exceeds the floor min_leakage (default
    # 0.08, above the noise of a model trained on a fair history).
    assert_no_proxy_leakage(
        candidates["resume"], candidates["gender"], model=model, forbidden=["women's", "sorority"]
    )


def test_swapping_gendered_words_barely_matters(model, candidates):
    # Default limits, calibrated on fair-history models: the largest score change
    # 0.10, and 6% of the swapped resumes' decisions.
    assert_counterfactual_invariance(model, candidates["resume"], select_top=SELECT)
