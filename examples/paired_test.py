"""A paired (correspondence) test of a screener we cannot open, run by code.

The screener here is a local stand-in: a text model trained on a skewed hiring
history with names on the resumes.  Replace ``screen`` by a function that
calls your vendor's API or a language model (see docs/black-box.md, "Paired
tests") and the rest stays the same.

    python examples/paired_test.py
    python examples/paired_test.py reports/   # also writes the two HTML reports there
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

import adverse_impact as ai
from adverse_impact.case_study import _model
from adverse_impact.datasets import load_names, load_resume_templates, make_resumes


def main(n_samples: int = 8_000, random_state: int = 0, reports: str | None = None) -> dict:
    # 1. A screener trained on a history that hired women less often; its
    #    resumes carry names, so first names can become proxies.
    history = make_resumes(n_samples, names=True, random_state=random_state)
    model = _model(random_state).fit(history["resume"], history["hired"])

    def screen(texts: list[str]) -> list[float]:
        """Stand-in for an API: one score per resume, higher is better."""
        return model.predict_proba(texts)[:, 1].tolist()

    # 2. Pointwise: the same resumes, only the name changes.
    applicants = make_resumes(500, random_state=random_state + 1)
    templates = ["{name}\n" + text for text in applicants["resume"]]
    names = load_names()[["name", "sex"]]
    with tempfile.TemporaryDirectory() as cache:
        scored = ai.paired_test(
            screen,
            templates,
            signals=names,
            select_top=0.3,
            reference="M",
            batch_size=100,
            cache=cache,
            max_calls=50,
            random_state=random_state,
        )
        again = ai.paired_test(
            screen,
            templates,
            signals=names,
            select_top=0.3,
            reference="M",
            batch_size=100,
            cache=cache,
            random_state=random_state,
        )
    print("1. Pointwise screener, women's names against men's")
    print(scored.summary())
    print(f"   rerun from the cache: {again.n_calls} scorer calls, {again.n_cached:,} cached\n")

    # 3. A ranker: one candidate per race x sex cell in every prompt, display
    #    positions counterbalanced by Latin squares; this stand-in samples its
    #    answer and slightly prefers whatever it reads first.
    rng = np.random.default_rng(random_state)

    def rank(texts: list[str]) -> list[int]:
        utility = model.decision_function(texts) + 0.25 * rng.gumbel(size=len(texts))
        utility[0] += 0.25
        return np.argsort(-utility).tolist()

    resumes = load_resume_templates("software engineer")["template"].tolist()
    ranked = ai.paired_test(rank, resumes, kind="rank", n_repeats=50, random_state=random_state)
    print("2. Ranker, 400 prompts of eight resumes")
    print(ranked.summary())
    if reports:
        folder = Path(reports)
        folder.mkdir(parents=True, exist_ok=True)
        scored.to_html(folder / "paired-scores.html")
        ranked.to_html(folder / "paired-ranker.html")
        print(f"Reports written to {folder}")
    return {"scored": scored, "again": again, "ranked": ranked}


if __name__ == "__main__":
    main(reports=sys.argv[1] if len(sys.argv) > 1 else None)
