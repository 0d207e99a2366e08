"""BISG: race and ethnicity probabilities from a surname and a ZIP Code Tabulation Area.

Bayes' rule with surname and place independent given race (Elliott et al.
2009), as the CFPB computes it (CFPB 2014):

    P(race | surname, zcta) = P(race | surname) P(zcta | race) / sum over races

The surname tables ship with the package; the adult counts per ZCTA behind
``P(zcta | race)`` are the user's to supply (``zcta_table=``).  Without them,
the estimates are the surname's alone (BIS, no geography).

The work is done once per distinct surname and per distinct ZCTA, then
gathered to the rows, so a million rows cost a few numpy passes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from adverse_impact._bisg import PUBLIC
from adverse_impact._bisg._names import clean_surnames
from adverse_impact._bisg._tables import (
    CATEGORIES,
    LABELS,
    SURNAME_LISTS,
    WHERE_TO_GET,
    geography_table,
    national_from_surnames,
    surname_table,
    zcta_codes,
)
from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._frames import as_pandas
from adverse_impact._core._groups import factorize_values
from adverse_impact._core._params import Options, validate_params
from adverse_impact._core._render import frame_block, html_block, jsonable
from adverse_impact._core._validation import check_aligned_indexes, check_consistent_length

__all__ = list(PUBLIC["_impute"])

#: What a row falls back to when its surname is not on the list.
UNMATCHED = ("geography", "all_other")

#: Said wherever the estimates are shown: what they are for and what they are not.
PURPOSE = (
    "estimates for internal testing when race is not recorded; not the demographic data "
    "an NYC Local Law 144 bias audit requires"
)


def _column(values: Any, argument: str) -> np.ndarray | pd.Series:
    """One column of any library: a pandas Series as it is (factorized in its own dtype,
    Arrow strings included), anything else as a 1-D numpy array."""
    values = as_pandas(values, argument)
    if isinstance(values, (str, bytes)) or np.isscalar(values):
        raise type_error(
            argument,
            f"got a single {type(values).__name__}, not a column",
            "Pass one value per person, e.g. a list or a DataFrame column",
        )
    if isinstance(values, pd.DataFrame):
        raise type_error(
            argument, "got a table, not a column", f"Pass one column, e.g. data[{argument!r}]"
        )
    if isinstance(values, pd.Series):
        return values
    if isinstance(values, pd.Index):
        return values.to_series(index=pd.RangeIndex(len(values)))
    array = np.asarray(values, dtype=object if not isinstance(values, np.ndarray) else None)
    if array.ndim != 1:
        raise input_error(
            argument, f"expected one column, got shape {array.shape}", "Pass a 1-D array"
        )
    return array


@validate_params(
    surnames=Options(SURNAME_LISTS),
    unmatched_surname=Options(UNMATCHED),
)
def impute_race(
    surname: Any,
    *,
    zcta: Any = None,
    zcta_table: Any = None,
    surnames: str = "2010",
    unmatched_surname: str = "geography",
) -> RaceEstimates:
    """Race and ethnicity probabilities from surname and ZCTA (BISG), as the CFPB computes them.

    For each person, ``P(race | surname, ZCTA)`` is proportional to
    ``P(race | surname) * P(ZCTA | race)``: the Census surname list's race
    shares for the surname, times the share of each group's adults (18+)
    who live in the ZCTA (Elliott et al. 2009; CFPB 2014).  Six categories,
    as on the Census surname list: White, Black, Asian/Pacific Islander,
    American Indian/Alaska Native and multiracial/other (each non-Hispanic),
    and Hispanic.

    These are estimates for a vendor's or employer's internal testing when
    applicants' race and ethnicity were not recorded.  They are not the
    demographic data an NYC Local Law 144 bias audit requires, and an audit
    that uses them is biased toward "no disparity" when selection depends on
    race: see :func:`adverse_impact.audit_imputed` and the "Race estimates"
    page of the documentation.  Geocoding addresses to ZCTAs or tracts is
    out of scope.

    The surname lists ship with the package.  The adult counts per ZCTA do
    not: pass the CFPB's file (below) as ``zcta_table``.  Without ``zcta``,
    the result is the surname probabilities alone (BIS, no geography).

    Parameters
    ----------
    surname : array-like of str
        One surname per person (a list, numpy array, or pandas, polars or
        pyarrow column).  Cleaned as the CFPB's code cleans it: upper case;
        digits and the punctuation ``` ` { } \\ , . "``` dropped, apostrophes
        removed; the suffixes JR, SR, II, III, IV, DDS, MD, PHD and lone
        initials removed; spaces removed ("De La Cruz" is DELACRUZ); for a
        hyphenated name the first part, or the second where the first is not
        listed.  Missing values are unmatched surnames.
    zcta : array-like, optional
        The person's 5-digit ZIP Code Tabulation Area, as text ("02139",
        "02139-4307") or integers (2139).  A ZIP code is not a ZCTA, but for
        most residential ZIP codes they coincide, which is what the CFPB uses.
        Needs ``zcta_table``.  Without ``zcta`` the result is the surname
        probabilities alone.
    zcta_table : str, path or pandas.DataFrame, optional
        Adult (18+) counts by race and ethnicity per ZCTA, required with
        ``zcta``; not shipped with the package.  The path of the CFPB's
        ``zip_over18_race_dec10.dta`` (2010 Summary File 1) or
        ``zip_over18_race_jan20.dta`` (2020 Demographic and Housing
        Characteristics file), from the GitHub repository
        ``cfpb/proxy-methodology`` (``input_files/`` and
        ``2024-update/input_files/``; CC0), read with ``pandas.read_stata``
        once per process; or a DataFrame, either with those files' columns
        or with the columns ``zcta``, ``white``, ``black``, ``api``,
        ``aian``, ``multiracial``, ``hispanic`` and optionally ``other``
        (non-Hispanic "some other race alone").  The CFPB's adjustments are
        applied: for its own columns, Puerto Rico dropped and the "X and some
        other race" counts folded into X; for every table, ``other`` shared
        among the five non-Hispanic groups in proportion to their counts.
    surnames : {"2010", "2000", "2010+2000"}, default "2010"
        Which Census surname list: 2010 (162,253 names), 2000 (151,671), or
        the CFPB's union (the 2010 list, plus the 2000 names it lacks).
    unmatched_surname : {"geography", "all_other"}, default "geography"
        What stands in for ``P(race | surname)`` when the surname is not on
        the list: the national adult shares of ``zcta_table``, so that the
        result is the ZCTA's own make-up (``"geography"``; without a
        geography table, the surname list's own national shares), or the
        Census's "ALL OTHER NAMES" row of the 2010 list (``"all_other"``;
        not available with ``surnames="2000"``, which has no such row).
        Either way the row's ``surname_matched`` flag is False.  The CFPB's
        own code leaves such rows without a BISG estimate.

    Returns
    -------
    RaceEstimates
        Per person and in input order, the six probabilities (summing to 1)
        and whether the surname and the ZCTA were found.  A ZCTA that is not
        in the table, has no adults, or gives probability zero to every
        category the surname allows is not used (``geography_matched`` False)
        and the row keeps its surname probabilities.

    See Also
    --------
    audit_imputed : Rates, impact ratios and their bounds from these probabilities.

    References
    ----------
    Elliott, M. N., Morrison, P. A., Fremont, A., McCaffrey, D. F., Pantoja, P.
    and Lurie, N. (2009). "Using the Census Bureau's surname list to improve
    estimates of race/ethnicity and associated disparities." *Health Services
    and Outcomes Research Methodology* 9, 69-83.

    Consumer Financial Protection Bureau (2014). *Using publicly available
    information to proxy for unidentified race and ethnicity*; its code and
    tables: github.com/cfpb/proxy-methodology (CC0).

    Examples
    --------
    Surnames alone (BIS), from the shipped Census list:

    >>> import adverse_impact as ai
    >>> ai.impute_race(["Smith", "Garcia", "Nguyen"]).probabilities.round(2)
    ... # doctest: +NORMALIZE_WHITESPACE
       white  black   api  aian  multiracial  hispanic
    0   0.71   0.23  0.01  0.01         0.02      0.02
    1   0.05   0.00  0.01  0.00         0.00      0.92
    2   0.01   0.00  0.96  0.00         0.02      0.01

    With geography: in practice ``zcta_table="zip_over18_race_dec10.dta"``,
    the CFPB's file; here three made-up ZCTAs' adult counts.

    >>> import pandas as pd
    >>> adults = pd.DataFrame({"zcta": ["10001", "10002", "10003"],
    ...                        "white": [9000, 1000, 5000], "black": [500, 8000, 1000],
    ...                        "api": [300, 200, 3000], "aian": [20, 30, 10],
    ...                        "multiracial": [200, 300, 400],
    ...                        "hispanic": [1000, 1500, 6000]})
    >>> est = ai.impute_race(["Smith", "Smith", "Garcia", "Zzyzx"],
    ...                      zcta=["10001", "10002", "10003", "10002"], zcta_table=adults)
    >>> est.probabilities.round(2)  # doctest: +NORMALIZE_WHITESPACE
       white  black   api  aian  multiracial  hispanic
    0   0.95   0.03  0.00  0.01         0.01      0.01
    1   0.18   0.75  0.00  0.02         0.03      0.02
    2   0.03   0.00  0.02  0.00         0.00      0.95
    3   0.09   0.73  0.02  0.00         0.03      0.14
    >>> est.surname_matched.tolist(), est.geography_matched.tolist()
    ([True, True, True, False], [True, True, True, True])
    """
    check_aligned_indexes({"surname": surname, "zcta": zcta})
    names = _column(surname, "surname")
    lengths = {"surname": len(names)}
    codes_in = None
    if zcta is not None:
        codes_in = _column(zcta, "zcta")
        lengths["zcta"] = len(codes_in)
    n = check_consistent_length(lengths)
    if codes_in is not None and zcta_table is None:
        raise input_error(
            "zcta_table",
            "zcta= was given without a geography table (the package ships the surname "
            "lists, not the adult counts per ZCTA)",
            WHERE_TO_GET + "; or leave out zcta= for estimates from surnames alone",
        )
    table = surname_table(surnames)
    places = geography_table(zcta_table) if zcta_table is not None else None
    fallback = _fallback(table, places, surnames, unmatched_surname)
    prior = _surname_priors(names, table, fallback)
    by_category = prior.by_category
    geography_matched = np.zeros(n, dtype=bool)
    zcta_out = np.full(n, -1, dtype=np.int64)
    if codes_in is not None and places is not None:
        zcta_out, geography_matched = _with_geography(by_category, prior, codes_in, places)
    return RaceEstimates(
        # People by category, stored by column (a Fortran-ordered view).
        _probabilities=by_category.T,
        _surname_used=prior.used_names,
        _zcta=zcta_out,
        _surname_matched=prior.surname_matched,
        _geography_matched=geography_matched,
        surnames=surnames,
        geography=places.source if places is not None else None,
        unmatched_surname=unmatched_surname,
    )


def _fallback(table: Any, places: Any, surnames: str, unmatched_surname: str) -> np.ndarray:
    """What stands in for ``P(race | surname)`` when the surname is not on the list."""
    if unmatched_surname == "all_other":
        if table.all_other is None:
            raise input_error(
                "unmatched_surname",
                f"the {surnames} surname list has no 'ALL OTHER NAMES' row",
                "Use surnames='2010' or '2010+2000', or unmatched_surname='geography'",
            )
        return table.all_other
    if places is not None:
        return places.national
    return national_from_surnames(surnames)


class _Priors(NamedTuple):
    """Each person's ``P(race | surname)`` and how their surname was found."""

    by_category: np.ndarray  # categories x people
    prior_u: np.ndarray  # categories x (listed rows, then the fallback)
    name_row: np.ndarray  # each person's column of prior_u
    surname_matched: np.ndarray
    used_names: np.ndarray  # the cleaned surname looked up (None: unmatched)


def _surname_priors(names: Any, table: Any, fallback: np.ndarray) -> _Priors:
    """Clean and look up each distinct surname once, then gather to the people."""
    name_codes, name_uniques = factorize_values(names)
    first, second = clean_surnames(np.asarray(name_uniques, dtype=object))
    row_first = table.index.get_indexer(first)
    row = row_first.copy()
    # The second part of a hyphenated name, looked up only where the first is not listed.
    retry = np.flatnonzero((row_first < 0) & (second != ""))
    row[retry] = table.index.get_indexer(second[retry])
    listed = row >= 0
    used = np.where(row_first >= 0, first, np.where(listed, second, None))
    # One row per category (a transposed table): each gather below reads one
    # contiguous row, four times faster than gathering six-value rows, and the
    # result is stored by column, as audit_imputed reads it.
    prior_u = np.vstack([table.probabilities, fallback[None, :]]).T.copy()
    row_u = np.where(listed, row, len(table.probabilities))
    # factorize's sentinel -1 (a missing surname) picks the fallback row appended last.
    row_u = np.append(row_u, len(table.probabilities))
    name_row = row_u[name_codes]
    return _Priors(
        by_category=np.take(prior_u, name_row, axis=1),
        prior_u=prior_u,
        name_row=name_row,
        surname_matched=name_row < len(table.probabilities),
        used_names=np.append(used, None)[name_codes],
    )


def _with_geography(
    by_category: np.ndarray, prior: _Priors, codes_in: Any, places: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Multiply in ``P(zcta | race)`` and normalise, in place; each person's ZCTA and match.

    Each distinct ZCTA is parsed and looked up once.
    """
    place_codes, zcta_uniques = factorize_values(codes_in)
    parsed = zcta_codes(zcta_uniques)
    n_places = len(places.index)
    place_u = places.index.get_indexer(parsed)
    # An unknown ZCTA (and a missing one, the sentinel -1) multiplies by ones.
    place_u = np.append(np.where((place_u >= 0) & (parsed >= 0), place_u, n_places), n_places)
    place_row = place_u[place_codes]
    zcta_out = np.append(parsed, -1)[place_codes]
    likelihood_u = np.vstack([places.given_race, np.ones((1, len(CATEGORIES)))]).T.copy()
    by_category *= np.take(likelihood_u, place_row, axis=1)
    total = by_category.sum(axis=0)
    # A ZCTA without adults, or none of the surname's groups: the surname alone.
    unusable = total <= 0
    if unusable.any():
        by_category[:, unusable] = prior.prior_u[:, prior.name_row[unusable]]
        total[unusable] = by_category[:, unusable].sum(axis=0)
    by_category /= total
    return zcta_out, (place_row < n_places) & ~unusable


@dataclasses.dataclass(frozen=True, slots=True, repr=False, eq=False)
class RaceEstimates:
    """BISG probabilities per person; returned by :func:`adverse_impact.impute_race`.

    Attributes
    ----------
    probabilities : pandas.DataFrame
        One row per person, in input order, one column per category
        (``white``, ``black``, ``api``, ``aian``, ``multiracial``,
        ``hispanic``); each row sums to 1.  A copy on each access.
    surname_matched, geography_matched : numpy.ndarray of bool
        Whether the person's surname was on the list, and whether their ZCTA
        was found and used.  Copies.
    surnames : str
        The surname list used ("2010", "2000" or "2010+2000").
    geography : str or None
        The geography table used (its file name, or "a DataFrame of n
        ZCTAs"), None without one (surname probabilities alone).
    unmatched_surname : str
        What stood in for an unlisted surname ("geography" or "all_other").
    categories : Mapping[str, str]
        Column name to category description.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> import pandas as pd
    >>> adults = pd.DataFrame({"zcta": ["10001", "10002"], "white": [9000, 1000],
    ...                        "black": [500, 8000], "api": [300, 200], "aian": [20, 30],
    ...                        "multiracial": [200, 300], "hispanic": [1000, 1500]})
    >>> est = ai.impute_race(["Smith", "Garcia", "Nguyen", "Zzyzx"],
    ...                      zcta=["10001", "10002", "10001", None], zcta_table=adults)
    >>> print(est.summary())  # doctest: +NORMALIZE_WHITESPACE
    RaceEstimates: 4 people; surname on the 2010 list for 3 (75.0%), ZCTA used for 3 (75.0%)
      expected people by category (sum of probabilities): white 1.42, black 0.41, api 1.01,
        aian 0.01, multiracial 0.05, hispanic 1.10
      most likely category, for comparison only: white 2, black 0, api 1, aian 0, multiracial
        0, hispanic 1
      fell back: 1 surname(s) not listed (national adult shares used), 1 without a usable
        ZCTA (surname alone)
      estimates for internal testing when race is not recorded; not the demographic data an
        NYC Local Law 144 bias audit requires
    """

    _probabilities: np.ndarray
    _surname_used: np.ndarray
    _zcta: np.ndarray
    _surname_matched: np.ndarray
    _geography_matched: np.ndarray
    surnames: str
    geography: str | None
    unmatched_surname: str

    @property
    def probabilities(self) -> pd.DataFrame:
        return pd.DataFrame(self._probabilities, columns=list(CATEGORIES))

    @property
    def surname_matched(self) -> np.ndarray:
        return self._surname_matched.copy()

    @property
    def geography_matched(self) -> np.ndarray:
        return self._geography_matched.copy()

    @property
    def categories(self) -> Mapping[str, str]:
        return dict(LABELS)

    @property
    def n(self) -> int:
        return len(self._probabilities)

    def to_frame(self) -> pd.DataFrame:
        """One row per person: the surname looked up, the ZCTA, the six probabilities, the flags."""
        zcta = pd.Series(
            [f"{z:05d}" if z >= 0 else None for z in self._zcta.tolist()], dtype=object
        )
        frame = pd.DataFrame(
            {"surname_used": self._surname_used, "zcta": zcta if self.geography else None}
        )
        for i, name in enumerate(CATEGORIES):
            frame[name] = self._probabilities[:, i]
        frame["surname_matched"] = self._surname_matched
        frame["geography_matched"] = self._geography_matched
        return frame

    def by_category(self) -> pd.DataFrame:
        """Per category: expected people (sum of probabilities), mean probability, argmax count."""
        argmax = np.bincount(self._probabilities.argmax(axis=1), minlength=len(CATEGORIES))
        expected = self._probabilities.sum(axis=0)
        return pd.DataFrame(
            {
                "category": list(CATEGORIES),
                "label": [LABELS[c] for c in CATEGORIES],
                "expected": expected,
                "mean_probability": expected / max(self.n, 1),
                "argmax_count": argmax,
            }
        )

    def to_dict(self) -> dict[str, Any]:
        """Metadata, the per-category totals and every row, JSON-serialisable."""
        return jsonable(
            {
                "n": self.n,
                "surnames": self.surnames,
                "geography": self.geography,
                "unmatched_surname": self.unmatched_surname,
                "categories": dict(LABELS),
                "surname_matched": int(self._surname_matched.sum()),
                "geography_matched": int(self._geography_matched.sum()),
                "by_category": self.by_category().to_dict("records"),
                "rows": self.to_frame().to_dict("records"),
                "purpose": PURPOSE,
            }
        )

    def _headline(self) -> str:
        n = self.n
        matched = int(self._surname_matched.sum())
        text = (
            f"RaceEstimates: {n:,} {'person' if n == 1 else 'people'}; surname on the "
            f"{self.surnames} list for {matched:,} ({matched / max(n, 1):.1%})"
        )
        if self.geography is not None:
            placed = int(self._geography_matched.sum())
            text += f", ZCTA used for {placed:,} ({placed / max(n, 1):.1%})"
        return text

    def summary(self) -> str:
        """Headline, expected counts per category, argmax counts, fallbacks, and the caveat."""
        table = self.by_category()
        expected = ", ".join(f"{r.category} {r.expected:.2f}" for r in table.itertuples())
        argmax = ", ".join(f"{r.category} {r.argmax_count}" for r in table.itertuples())
        unlisted = int((~self._surname_matched).sum())
        if self.unmatched_surname == "all_other":
            stand_in = "ALL OTHER NAMES"
        elif self.geography is not None:
            stand_in = "national adult shares"
        else:
            stand_in = "the surname list's national shares"
        fallbacks = f"{unlisted} surname(s) not listed ({stand_in} used)"
        if self.geography is not None:
            fallbacks += (
                f", {int((~self._geography_matched).sum())} without a usable ZCTA (surname alone)"
            )
        return "\n".join(
            [
                self._headline(),
                f"  expected people by category (sum of probabilities): {expected}",
                f"  most likely category, for comparison only: {argmax}",
                f"  fell back: {fallbacks}",
                f"  {PURPOSE}",
            ]
        )

    def __repr__(self) -> str:
        return frame_block(self._headline(), self.by_category())

    def _repr_html_(self) -> str:
        return html_block(self._headline(), self.by_category())
