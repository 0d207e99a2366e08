"""Find the inputs that stand in for gender, in a table and in resume text.

A self-contained script on the built-in synthetic resumes, whose planted
proxies are known, so every finding can be checked against the truth:

1. ``proxy_scan`` on a small table: which columns are associated with gender;
2. ``token_proxies`` on the resume text: which tokens mark women's resumes;
3. ``recoverability``: how well the text as a whole predicts gender;
4. ``proxy_leakage``: which proxies a trained screening model actually uses;
5. ``counterfactual_test``: how many decisions flip when "women's" and "men's"
   (and the other listed gendered terms) are swapped.

Run it with ``python examples/find_proxies.py`` (about 10 seconds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

import adverse_impact as ai
from adverse_impact.datasets import make_resumes


def main(n_samples: int = 6_000, random_state: int = 0) -> dict[str, object]:
    resumes = make_resumes(n_samples, random_state=random_state)
    planted = resumes.attrs["ground_truth"].to_frame()
    womens_tokens = set(planted.loc[planted["rate_women"] > planted["rate_men"], "token"])
    history, applicants = resumes[resumes["year"] <= 8], resumes[resumes["year"] > 8]

    print("1. A table: which columns are associated with gender?")
    # Tabular features one might extract from a resume; "college_type" is a
    # proxy because the all-women's colleges sit in one of its categories.
    table = pd.DataFrame(
        {
            "years": resumes["resume"].str.extract(r"Experience: (\d+)")[0].astype(int),
            "college_type": np.where(
                resumes["resume"].str.contains("Wellesley|Smith College|Bryn Mawr"),
                "women's college",
                resumes["resume"].str.extract(
                    r"(State University|University of|Institute|College)"
                )[0],
            ),
            "masters": resumes["resume"].str.contains("M.S. in", regex=False),
        }
    )
    scan = ai.proxy_scan(table, resumes["gender"])
    print(scan.top(3).to_string(index=False))

    print("\n2. Text: the tokens that mark women's resumes in the history")
    tokens = ai.token_proxies(history["resume"], history["gender"])
    top_tokens = tokens.top(8, group="female")
    print(top_tokens[["token", "count", "count_rest", "z"]].to_string(index=False))

    print("\n3. How well does the text reveal gender?")
    recovered = ai.recoverability(
        applicants["resume"], applicants["gender"], cv=3, random_state=random_state
    )
    print(recovered)

    print("\n4. Which proxies does a screening model trained on the history use?")
    model = make_pipeline(
        TfidfVectorizer(token_pattern=ai.TOKEN_PATTERN, min_df=2),
        LogisticRegression(max_iter=1_000),
    )
    model.fit(history["resume"], history["hired"])
    leakage = ai.proxy_leakage(model, applicants["resume"], applicants["gender"])
    top_leakage = leakage.top(10)
    print(
        top_leakage[["feature", "association", "influence", "leakage", "works_against"]].to_string(
            index=False
        )
    )
    found = sorted(womens_tokens & set(leakage.top(20)["feature"]))
    print(f"   planted women's proxies among the model's top 20: {', '.join(found)}")

    print("\n5. Swap the gendered terms and re-score")
    swaps = ai.counterfactual_test(
        model, applicants["resume"], select_top=0.3, sensitive_features=applicants["gender"]
    )
    print(swaps)
    return {
        "scan": scan,
        "tokens": top_tokens,
        "recoverability": recovered,
        "leakage": top_leakage,
        "planted_found": found,
        "counterfactual": swaps,
    }


if __name__ == "__main__":
    main()
