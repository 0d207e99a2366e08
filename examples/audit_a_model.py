"""Audit a fitted hiring model: its decisions, its error rates, and every cut-off.

A self-contained script on synthetic tabular data.  It fits a gradient-boosted
screening model on two features (neither of them sex or race), then

1. audits the shortlist the model would produce at a 0.5 cut-off,
2. prints the error rates by group against the actual outcome, and
3. sweeps the cut-off to show where the four-fifths rule holds.

Run it with ``python examples/audit_a_model.py``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier

import adverse_impact as ai


def make_applicants(n: int = 4_000, random_state: int = 7) -> pd.DataFrame:
    """Synthetic applicants; experience is recorded lower for women, as a proxy would be."""
    rng = np.random.default_rng(random_state)
    sex = rng.choice(["Female", "Male"], n)
    race = rng.choice(["Asian", "Black", "Hispanic", "White"], n, p=[0.12, 0.18, 0.15, 0.55])
    experience = rng.gamma(2.0, 3.0, n) * np.where(sex == "Female", 0.8, 1.0)
    test_score = rng.normal(60, 12, n)
    logit = 0.25 * experience + 0.06 * (test_score - 60) - 1.5
    qualified = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    race = race.astype(object)
    race[rng.random(n) < 0.04] = None  # some applicants did not say
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "years_experience": experience.round(1),
            "test_score": test_score.round(),
            "qualified": qualified,
        }
    )


def main() -> None:
    applicants = make_applicants()
    features = ["years_experience", "test_score"]
    train, test = applicants.iloc[:2_000], applicants.iloc[2_000:].reset_index(drop=True)
    model = GradientBoostingClassifier(n_estimators=50, max_depth=2, random_state=0)
    model.fit(train[features], train["qualified"])

    result = ai.audit_model(
        model,
        test[features],
        sensitive_features=test[["sex", "race"]],
        threshold=0.5,
        y_true=test["qualified"],
    )
    print("1. The shortlist at a 0.5 cut-off")
    print(result)
    print(f"   scores from {result.params['score_method']}, cut-off {result.params['cutoff']}")

    print("\n2. Error rates by group (read each rate next to its n_positive / n_negative)")
    columns = [
        "attribute",
        "group",
        "n_positive",
        "n_negative",
        "tpr",
        "fpr",
        "precision",
        "tpr_ratio",
        "fpr_ratio",
    ]
    print(result.error_rates[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    worst = result.error_rates.groupby("attribute", sort=False)[["tpr_ratio", "fpr_ratio"]].min()
    print("   equalized-odds ratio (min of tpr_ratio and fpr_ratio) per attribute:")
    for attribute, value in worst.min(axis=1).items():
        print(f"     {attribute}: {value:.3f}")

    print("\n3. The four-fifths rule across cut-offs")
    sweep = ai.threshold_sweep(model, test[features], sensitive_features=test[["sex", "race"]])
    per_cut = sweep.by_threshold()
    passing = per_cut.loc[per_cut["passes"].fillna(False), "threshold"]
    print(sweep)
    if len(passing):
        print(
            f"   four-fifths holds for every group at {len(passing)} of {len(per_cut)} "
            f"cut-offs, from {passing.min():.3f} to {passing.max():.3f} (not necessarily "
            "a contiguous range)"
        )
    else:
        print("   four-fifths fails for some group at every cut-off of the grid")


if __name__ == "__main__":
    main()
