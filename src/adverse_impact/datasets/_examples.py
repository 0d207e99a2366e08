"""Small published worked examples, as tables of applicants."""

from __future__ import annotations

import pandas as pd

from adverse_impact._core._params import validate_params


@validate_params()
def load_eeoc_example() -> pd.DataFrame:
    """The EEOC's 2023 four-fifths example as one row per applicant.

    In its technical assistance of 18 May 2023 on software, algorithms and
    AI in employment selection, the EEOC describes a personality test scored
    by an algorithm: 80 White applicants take it and 48 advance (60%); 40
    Black applicants take it and 12 advance (30%).  The ratio 30/60 = 50% is
    below four-fifths.  The EEOC withdrew that technical assistance in
    January 2025 (it was removed from eeoc.gov); as of 1 December 2026 it is
    no longer agency guidance, but the example's arithmetic is the Uniform
    Guidelines' four-fifths rule (29 CFR 1607.4(D)), which remains in force.

    Returns
    -------
    pandas.DataFrame
        120 rows with columns ``race`` ("White", "Black") and ``advanced``
        (0/1).

    References
    ----------
    .. [1] U.S. Equal Employment Opportunity Commission, "Select Issues:
       Assessing Adverse Impact in Software, Algorithms, and Artificial
       Intelligence Used in Employment Selection Procedures Under Title VII
       of the Civil Rights Act of 1964", technical assistance, 18 May 2023;
       withdrawn in January 2025.

    Examples
    --------
    >>> from adverse_impact.datasets import load_eeoc_example
    >>> df = load_eeoc_example()
    >>> df.groupby("race")["advanced"].agg(["size", "sum"])
           size  sum
    race
    Black    40   12
    White    80   48
    """
    race = ["White"] * 80 + ["Black"] * 40
    advanced = [1] * 48 + [0] * 32 + [1] * 12 + [0] * 28
    return pd.DataFrame({"race": race, "advanced": advanced})
