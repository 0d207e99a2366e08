"""Surnames cleaned as the CFPB cleans them (``_bisg/_names.py``).

Reference: the CFPB's ``surname_parser.do`` (cfpb/proxy-methodology, the
``name_parse`` program), its steps as the module's docstring lists them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import adverse_impact as ai
from adverse_impact._bisg._names import _clean, clean_surnames


@pytest.mark.parametrize(
    ("raw", "looked_up"),
    [
        ("o'brien", "OBRIEN"),
        ("  Garcia Jr.  ", "GARCIA"),
        ("de la Cruz", "DELACRUZ"),
        ("Smith-Garcia", "SMITH"),
        ("Qxqzv-Garcia", "GARCIA"),
        ("J. Nguyen III", "NGUYEN"),
        ("Lee2", "LEE"),
        ("MC DONALD", "MCDONALD"),
    ],
)
def test_surnames_are_cleaned_as_the_cfpb_cleans_them(raw, looked_up):
    est = ai.impute_race([raw])
    assert est.to_frame()["surname_used"].iloc[0] == looked_up
    direct = ai.impute_race([looked_up]).probabilities
    pd.testing.assert_frame_equal(est.probabilities, direct)


@given(
    st.lists(
        st.one_of(
            st.none(),
            st.integers(0, 9),
            st.text(alphabet="abcdoJRSIVMDPH -'.,`{}0ßéÜ\"", max_size=10),
            st.sampled_from(["jr", "Md", "O", "d", "Smith", "ab", "x"]),
        ),
        max_size=25,
    )
)
def test_the_fast_path_cleans_as_the_cfpb_steps_do(names):
    """Plain names skip the CFPB's steps; every name comes out as if it had gone through them."""
    values = np.array(names, dtype=object)
    first, second = clean_surnames(values)
    text = pd.Series([v if isinstance(v, str) else "" for v in names], dtype=object)
    expected = _clean(text.astype(str)) if names else (np.array([]), np.array([]))
    assert first.tolist() == list(expected[0]) and second.tolist() == list(expected[1])


def _cleaned(*names):
    first, second = clean_surnames(np.array(names, dtype=object))
    return list(zip(first.tolist(), second.tolist()))


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        # step 1: upper case, whatever the input's case
        ("smith", ("SMITH", "")),
        ("McDonald", ("MCDONALD", "")),
        # step 2: ` { } \ , . digits and double quotes become spaces; apostrophes go
        ('"Garcia"', ("GARCIA", "")),
        ("O'Leary", ("OLEARY", "")),
        ("Lee{2}", ("LEE", "")),
        ("back\\slash", ("BACKSLASH", "")),
        # step 3: the suffixes standing alone, repeated ones too, but not inside a word
        ("Smith Jr Jr", ("SMITH", "")),
        ("Brown PhD", ("BROWN", "")),
        ("Jrevik", ("JREVIK", "")),
        ("Md", ("", "")),
        # step 4: lone letters go, except O and D, which stay inside a longer name
        ("J Jones", ("JONES", "")),
        # The CFPB's regexr replaces " a " (both spaces) by nothing, so of two initials in
        # a row the second loses its leading space and stays: reproduced, not corrected.
        ("A B Jones", ("BJONES", "")),
        ("O Neil", ("ONEIL", "")),
        ("D Angelo", ("DANGELO", "")),
        ("O", ("", "")),
        # step 5 and 6: spaces removed, a hyphen splits
        ("Van Der Berg", ("VANDERBERG", "")),
        ("Lopez-Ruiz", ("LOPEZ", "RUIZ")),
        ("Lopez - Ruiz", ("LOPEZ", "RUIZ")),
        ("-Ruiz", ("RUIZ", "")),
        # anything else is left as it is, as the CFPB leaves it
        ("Müller", ("MÜLLER", "")),
        ("", ("", "")),
    ],
)
def test_each_step_of_the_cfpbs_parser(raw, parts):
    assert _cleaned(raw) == [parts]


def test_what_is_not_a_string_is_an_empty_surname():
    assert _cleaned(None, np.nan, 3, "Smith") == [("", ""), ("", ""), ("", ""), ("SMITH", "")]
    first, second = clean_surnames(np.array([], dtype=object))
    assert first.size == second.size == 0
