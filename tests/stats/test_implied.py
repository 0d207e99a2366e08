"""The impact ratio a standardised difference implies, and back (``_stats/_implied.py``).

References: the cut-off solved independently with mpmath at 40 digits and with
scipy's ``fsolve``; and, with no root finding at all, a cut-off chosen first and
the selection rate computed from it with ``scipy.stats.norm``.
"""

from __future__ import annotations

import mpmath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

import adverse_impact as ai
from adverse_impact.stats import implied_d, implied_impact_ratio


def _mp_ratio(d: float, rate: float, focal: float) -> float:
    """The implied ratio solved independently with mpmath at 40 digits."""
    mpmath.mp.dps = 40
    sf = lambda x: mpmath.erfc(x / mpmath.sqrt(2)) / 2  # noqa: E731
    c = mpmath.findroot(lambda c: (1 - focal) * sf(c) + focal * sf(c + d) - rate, 0.5)
    return float(sf(c + d) / sf(c))


def test_classic_figure_d1_equal_groups_30_percent():
    # The figure: the cut-off solves 0.5 P(Z > c) + 0.5 P(Z > c + 1) = 0.3.
    assert round(implied_impact_ratio(1.0, 0.3), 4) == 0.2963
    assert implied_impact_ratio(1.0, 0.3) == pytest.approx(_mp_ratio(1.0, 0.3, 0.5), rel=1e-11)


@pytest.mark.parametrize(
    "d, rate, focal", [(0.5, 0.1, 0.2), (2.0, 0.05, 0.5), (-0.7, 0.6, 0.3), (3.0, 0.01, 0.1)]
)
def test_implied_ratio_matches_mpmath(d, rate, focal):
    assert implied_impact_ratio(d, rate, focal_share=focal) == pytest.approx(
        _mp_ratio(d, rate, focal), rel=1e-10
    )


def test_implied_ratio_matches_scipy_root_finding():
    from scipy.optimize import fsolve
    from scipy.stats import norm

    c = fsolve(lambda c: 0.75 * norm.sf(c) + 0.25 * norm.sf(c + 0.8) - 0.2, 0.0)[0]
    assert implied_impact_ratio(0.8, 0.2, focal_share=0.25) == pytest.approx(
        norm.sf(c + 0.8) / norm.sf(c), rel=1e-9
    )


@settings(max_examples=60, deadline=None)
@given(d=st.floats(-3, 3), rate=st.floats(0.02, 0.98), focal=st.floats(0.02, 0.98))
def test_implied_d_inverts_implied_ratio(d, rate, focal):
    ratio = implied_impact_ratio(d, rate, focal_share=focal)
    assert implied_d(ratio, rate, focal_share=focal) == pytest.approx(d, abs=1e-7)


@settings(max_examples=40, deadline=None)
@given(d=st.floats(0.01, 3), rate=st.floats(0.02, 0.98))
def test_implied_ratio_falls_as_d_grows(d, rate):
    assert implied_impact_ratio(d + 0.1, rate) < implied_impact_ratio(d, rate) < 1


@pytest.mark.parametrize(
    "call, argument",
    [
        (lambda: implied_impact_ratio(1.0, 1.2), "selection_rate"),
        (lambda: implied_impact_ratio(float("nan"), 0.3), "d"),
        (lambda: implied_impact_ratio(1.0, 0.3, focal_share=0), "focal_share"),
        (lambda: implied_d(0.0, 0.3), "impact_ratio"),
        (lambda: implied_d(1e-300, 0.3, focal_share=0.5), "impact_ratio"),
        (lambda: implied_d("0.8", 0.3), "impact_ratio"),
    ],
)
def test_implied_bad_input_names_the_argument(call, argument):
    with pytest.raises(ai.AdverseImpactError, match=f"^{argument}:"):
        call()


@pytest.mark.parametrize(
    ("c", "d", "focal"),
    [(0.5, 1.0, 0.5), (-1.0, 0.3, 0.2), (1.5, -0.8, 0.7), (6.0, 2.0, 0.5), (-3.0, 4.0, 0.1)],
)
def test_a_cut_off_chosen_first_gives_the_ratio_of_its_survival_functions(c, d, focal):
    # Forward, without solving: at cut-off c the overall selection rate is
    # (1 - p) P(Z > c) + p P(Z > c + d); the function must find c again from it.
    rate = (1 - focal) * norm.sf(c) + focal * norm.sf(c + d)
    expected = norm.sf(c + d) / norm.sf(c)
    assert implied_impact_ratio(d, rate, focal_share=focal) == pytest.approx(expected, rel=1e-9)


def test_the_tail_ratio_keeps_its_digits_where_the_rates_are_tiny():
    # c = 8, d = 3: P(Z > 11) is about 2e-28; the ratio comes from log survival functions.
    c, d = 8.0, 3.0
    rate = 0.5 * norm.sf(c) + 0.5 * norm.sf(c + d)
    expected = float(mpmath.exp(mpmath.log(mpmath.ncdf(-(c + d))) - mpmath.log(mpmath.ncdf(-c))))
    assert implied_impact_ratio(d, rate) == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize(("d", "rate", "focal"), [(0.7, 0.3, 0.2), (1.5, 0.05, 0.6)])
def test_swapping_the_groups_inverts_the_ratio(d, rate, focal):
    # The focal group N(d, 1) against N(0, 1) is the reference N(0, 1) against N(-d, 1)
    # seen from the other side: same cut-off, reciprocal ratio.
    forward = implied_impact_ratio(d, rate, focal_share=focal)
    assert implied_impact_ratio(-d, rate, focal_share=1 - focal) == pytest.approx(
        1 / forward, rel=1e-10
    )


def test_no_difference_is_a_ratio_of_one_exactly_and_back():
    assert implied_impact_ratio(0.0, 0.3) == 1.0
    assert implied_d(1.0, 0.3) == 0.0
    assert implied_d(1.25, 0.3) < 0 < implied_d(0.8, 0.3)


def test_a_ratio_no_gap_can_produce_says_which_ratios_can():
    with pytest.raises(ai.InputError) as caught:
        # A gap of 30 SDs in favour of the focal group gives about 1e192 at 30% selected.
        implied_d(1e250, 0.3)
    message = str(caught.value)
    assert message.startswith("impact_ratio: 1e+250 cannot be produced at selection_rate=0.3")
    assert "possible: " in message and message.endswith(
        "Check the ratio is focal rate / reference rate and the shares are right"
    )


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: implied_impact_ratio(True, 0.3), r"^d: "),
        (lambda: implied_impact_ratio(1.0, 0.0), r"^selection_rate: "),
        (lambda: implied_impact_ratio(1.0, 0.3, focal_share=1.0), r"^focal_share: "),
        (lambda: implied_d(-0.5, 0.3), r"^impact_ratio: "),
        (lambda: implied_d(float("inf"), 0.3), r"^impact_ratio: "),
    ],
)
def test_edges_of_the_domain_are_refused_naming_the_argument(call, match):
    with pytest.raises(ai.AdverseImpactError, match=match):
        call()
