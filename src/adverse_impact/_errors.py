"""Exceptions raised by adverse_impact.

Every error the library raises on bad input is a subclass of
:class:`AdverseImpactError` and of the built-in ``ValueError`` or
``TypeError``, so callers can catch either.  Messages follow one shape:
the argument, what was received, and how to fix it.
"""

from __future__ import annotations

__all__ = ["AdverseImpactError", "InputError", "InputTypeError"]


class AdverseImpactError(Exception):
    """Base class of every error raised by adverse_impact on bad input."""


class InputError(AdverseImpactError, ValueError):
    """An argument has the right type but an unusable value."""


class InputTypeError(AdverseImpactError, TypeError):
    """An argument has a type the function cannot use."""


def input_error(argument: str, problem: str, fix: str) -> InputError:
    """Build an :class:`InputError` whose message names argument, problem and fix."""
    return InputError(f"{argument}: {problem}. {fix}")


def type_error(argument: str, problem: str, fix: str) -> InputTypeError:
    """Build an :class:`InputTypeError` whose message names argument, problem and fix."""
    return InputTypeError(f"{argument}: {problem}. {fix}")
