"""Errors and warnings raised by adverse_impact, and where the warnings point.

Every error the library raises on bad input is a subclass of
:class:`AdverseImpactError` and of the built-in ``ValueError`` or
``TypeError``, so callers can catch either.  Messages follow one shape:
the argument, what was received, and how to fix it.
"""

from __future__ import annotations

import sys
import warnings

from adverse_impact._core import PUBLIC

__all__ = [*PUBLIC["_errors"], "user_stacklevel", "warn"]


class AdverseImpactError(Exception):
    """Base class of every error raised by adverse_impact on bad input.

    Every message names the argument, the problem and the fix, in that order.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> from adverse_impact.datasets import load_eeoc_example
    >>> try:
    ...     ai.audit(load_eeoc_example(), selected="hired", sensitive_features="race")
    ... except ai.AdverseImpactError as error:
    ...     print(error)
    selected: column 'hired' is not in data. Use one of ['race', 'advanced']
    """


class InputError(AdverseImpactError, ValueError):
    """An argument has the right type but an unusable value (also a ``ValueError``).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> try:
    ...     ai.audit(selected=[1, 0.5, 0], sensitive_features=["a", "b", "a"])
    ... except ai.InputError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    selected: holds values strictly between 0 and 1 (e.g. [0.5]), which look like ...
    """


class InputTypeError(AdverseImpactError, TypeError):
    """An argument has a type the function cannot use (also a ``TypeError``).

    Examples
    --------
    >>> import adverse_impact as ai
    >>> try:
    ...     ai.audit(selected=["yes", "no"], sensitive_features=["a", "b"])
    ... except ai.InputTypeError as error:
    ...     print(error)  # doctest: +ELLIPSIS
    selected: must hold 0/1 or True/False decisions, found ['yes', 'no']. Map the labels ...
    """


def input_error(argument: str, problem: str, fix: str) -> InputError:
    """Build an :class:`InputError` whose message names argument, problem and fix."""
    return InputError(f"{argument}: {problem}. {fix}")


def type_error(argument: str, problem: str, fix: str) -> InputTypeError:
    """Build an :class:`InputTypeError` whose message names argument, problem and fix."""
    return InputTypeError(f"{argument}: {problem}. {fix}")


class UnknownCategoryWarning(UserWarning):
    """A group label looks like a non-answer ("Prefer not to say") but is audited as a group.

    Pass such labels as ``unknown=`` to count them in the unknown category
    instead; the warning names the labels it found.  A subclass of
    ``UserWarning``, so the command line and notebooks show it.

    Examples
    --------
    >>> import warnings
    >>> import adverse_impact as ai
    >>> sex = ["F", "M", "Prefer not to say"] * 4
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     result = ai.audit(selected=[1, 0, 1] * 4, sensitive_features={"sex": sex})
    >>> caught[0].category.__name__
    'UnknownCategoryWarning'
    >>> ai.audit(selected=[1, 0, 1] * 4, sensitive_features={"sex": sex},
    ...          unknown="Prefer not to say").unknown
    {'sex': 4}
    """


def user_stacklevel() -> int:
    """The ``stacklevel`` at which a warning points at the first frame outside this package.

    Counted from the caller of this function: the warning is attributed to
    the user's line whatever the depth of library calls in between (a fixed
    ``stacklevel`` is right for one call path only).
    """
    frame = sys._getframe(1)
    level = 1
    while (
        frame is not None
        and (frame.f_globals.get("__name__") or "").split(".")[0] == "adverse_impact"
    ):
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` pointing at the user's line (see :func:`user_stacklevel`)."""
    warnings.warn(message, category, stacklevel=user_stacklevel())


#: The exceptions and warnings users catch, under the package's public name:
#: tracebacks print ``adverse_impact.InputError`` whichever module was imported
#: first.  doctest looks for a class's examples in the module its ``__module__``
#: names, so they are listed here for it.
__test__ = {
    cls.__name__: cls
    for cls in (
        AdverseImpactError,
        InputError,
        InputTypeError,
        UnknownCategoryWarning,
    )
}
for _public in __test__.values():
    _public.__module__ = "adverse_impact"
