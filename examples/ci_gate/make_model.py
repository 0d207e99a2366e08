"""Train the small resume-screening model that test_model_release.py gates.

    python make_model.py            # the release candidate: a fair history, gendered
                                    # terms scrubbed from the training text
    python make_model.py --biased   # trained on a history skewed against women

The model is saved with skops (safe to load: no pickle) as model.skops.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import skops.io as sio
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import adverse_impact as ai
from adverse_impact.case_study import scrub_gendered_terms
from adverse_impact.datasets import make_resumes

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--biased", action="store_true", help="train on a skewed history")
    parser.add_argument("--out", default=str(HERE / "model.skops"))
    args = parser.parse_args(argv)
    history = make_resumes(8_000, history_bias=1.5 if args.biased else 0.0, random_state=7)
    model = make_pipeline(
        TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN, min_df=2), LogisticRegression(max_iter=2000)
    )
    texts = history["resume"] if args.biased else scrub_gendered_terms(history["resume"])
    model.fit(texts, history["hired"])
    sio.dump(model, args.out)
    return Path(args.out)


if __name__ == "__main__":
    print(f"wrote {main()}")
