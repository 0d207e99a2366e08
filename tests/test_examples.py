"""The scripts under examples/ run and find what they claim to find."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_find_proxies_example_finds_the_planted_proxies(capsys):
    module = runpy.run_path(str(ROOT / "examples" / "find_proxies.py"))
    found = module["main"](n_samples=3_000, random_state=1)
    out = capsys.readouterr().out
    for step in ("1. A table", "2. Text", "3. How well", "4. Which proxies", "5. Swap"):
        assert step in out
    # The college column carries the all-women's colleges; years and degree do not.
    assert found["scan"].top(1)["feature"].item() == "college_type"
    assert found["tokens"]["token"].iloc[0] == "women's"
    assert found["recoverability"].roc_auc > 0.85
    assert found["recoverability"].balanced_accuracy > 0.7
    assert found["leakage"]["feature"].iloc[0] == "women's"
    assert {"women's", "sorority", "volleyball"} <= set(found["planted_found"])
    assert found["counterfactual"].flip_rate > 0.02
