"""Errors and warnings (``_core/_errors.py``): one message shape, public names, user's line.

The shape is "argument: problem. Fix" (docs/architecture.md, STYLE.md), so a caller
can tell from the first word which argument to change and from the last sentence how.
"""

from __future__ import annotations

import ast
import re
import sys
import warnings
from pathlib import Path

import pytest

import adverse_impact as ai
from adverse_impact._core import _errors
from adverse_impact._core._errors import input_error, type_error, user_stacklevel, warn

SRC = Path(__file__).resolve().parents[2] / "src" / "adverse_impact"


def test_the_builders_join_argument_problem_and_fix_in_that_order():
    error = input_error("alpha", "1.5 is not in (0, 1)", "Pass e.g. alpha=0.05")
    assert str(error) == "alpha: 1.5 is not in (0, 1). Pass e.g. alpha=0.05"
    assert isinstance(error, ai.InputError)
    wrong = type_error("data", "got a list", "Pass a DataFrame")
    assert str(wrong) == "data: got a list. Pass a DataFrame"
    assert isinstance(wrong, ai.InputTypeError)


def test_callers_catch_either_the_library_error_or_the_builtin_one():
    assert issubclass(ai.InputError, ai.AdverseImpactError) and issubclass(
        ai.InputError, ValueError
    )
    assert issubclass(ai.InputTypeError, ai.AdverseImpactError) and issubclass(
        ai.InputTypeError, TypeError
    )
    assert not issubclass(ai.InputError, TypeError)
    assert issubclass(ai.UnknownCategoryWarning, UserWarning)
    with pytest.raises(ValueError, match=r"^x: bad\. Fix it$"):
        raise input_error("x", "bad", "Fix it")
    with pytest.raises(TypeError):
        raise type_error("x", "bad", "Fix it")


@pytest.mark.parametrize(
    "cls", [ai.AdverseImpactError, ai.InputError, ai.InputTypeError, ai.UnknownCategoryWarning]
)
def test_tracebacks_print_the_public_name(cls):
    assert cls.__module__ == "adverse_impact"
    assert getattr(ai, cls.__name__) is cls
    assert cls.__name__ in _errors.__test__  # doctest still finds their examples


def _messages():
    """Every literal (argument, problem, fix) given to input_error/type_error in src/."""
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("input_error", "type_error")
            ):
                yield path.relative_to(SRC), node


def _text(node):
    """The literal start of a str argument, or None (a variable)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        if isinstance(first, ast.Constant):
            return first.value + "{...}"
        return "{...}"
    if isinstance(node, ast.BinOp):  # "..." + "..." or "..." % (...)
        return _text(node.left)
    return None


def test_every_error_the_library_builds_has_the_three_parts():
    # Read from the source: a call with a literal argument names an identifier (or a
    # command-line option), its
    # problem does not end in a full stop (the builder adds one) and its fix is a
    # sentence of its own, starting with a capital.
    calls = list(_messages())
    assert len(calls) > 100
    bad = []
    for where, call in calls:
        if len(call.args) != 3 or call.keywords:
            bad.append(f"{where}:{call.lineno}: not (argument, problem, fix)")
            continue
        argument, problem, fix = (_text(a) for a in call.args)
        if argument is not None and not re.match(r"^(--)?[A-Za-z_{][\w.\[\]'\"{}=, -]*$", argument):
            bad.append(f"{where}:{call.lineno}: argument {argument!r}")
        if problem is not None and problem.rstrip().endswith(".") and "{...}" not in problem:
            bad.append(f"{where}:{call.lineno}: problem ends in a full stop: {problem!r}")
        if fix is not None and not fix[:1].isupper() and not fix.startswith("{"):
            bad.append(f"{where}:{call.lineno}: fix does not start a sentence: {fix!r}")
    assert not bad, "\n".join(bad)


def _library_frame(code: str, **names):
    """Run ``code`` as if it were a module of the package (its __name__ says so)."""
    namespace = {"__name__": "adverse_impact._fake", "warn": warn, **names}
    exec(compile(code, "<adverse_impact._fake>", "exec"), namespace)
    return namespace


def test_a_warning_points_at_the_users_line_whatever_the_depth():
    library = _library_frame(
        "def inner(message):\n    warn(message)\ndef outer(message):\n    return inner(message)\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        library["inner"]("one deep")
        line_one = sys._getframe().f_lineno - 1
        library["outer"]("two deep")
        line_two = sys._getframe().f_lineno - 1
    assert [w.filename for w in caught] == [__file__, __file__]
    assert [w.lineno for w in caught] == [line_one, line_two]
    assert [str(w.message) for w in caught] == ["one deep", "two deep"]
    assert all(w.category is UserWarning for w in caught)


def test_the_stacklevel_counts_the_library_frames_between():
    library = _library_frame(
        "def level():\n    return user_stacklevel()\ndef deeper():\n    return level()\n",
        user_stacklevel=user_stacklevel,
    )
    # Counted from user_stacklevel's caller: 1 is that frame; each library frame adds one.
    assert user_stacklevel() == 1  # called from here, outside the package
    assert library["level"]() == 2
    assert library["deeper"]() == 3


def test_warn_takes_the_category():
    with pytest.warns(ai.UnknownCategoryWarning, match="^labels$"):
        warn("labels", ai.UnknownCategoryWarning)
