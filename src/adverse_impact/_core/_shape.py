"""The surface every result shares: a text ``summary()`` and a JSON-ready ``to_dict()``.

Results keep their own ``to_frame()``, ``__repr__`` and ``_repr_html_``; this
mixin adds the rest of the common shape from two things each result already
has, its headline (``_headline()``) and its table (``to_frame()``), plus the
scalar fields it names in ``_fields()``.  Two first-wave results returned
something else from ``summary()``; :class:`_TransitionalSummary` is their
text, which still answers the old use with an ``AliasWarning``.
"""

from __future__ import annotations

import dataclasses
import inspect
import operator
from collections.abc import Callable, Mapping
from typing import Any

from adverse_impact._core._errors import AliasWarning, warn

__all__ = ["ResultShape"]


class ResultShape:
    """Mixin: ``summary()`` is the headline, ``to_dict()`` the fields and the table."""

    __slots__ = ()

    def summary(self) -> str:
        """The headline in one line of plain text (the first line of ``repr``)."""
        return self._headline()  # type: ignore[attr-defined]

    def _fields(self) -> dict[str, Any]:
        """The scalar fields of ``to_dict()``: a dataclass's public fields by default."""
        if dataclasses.is_dataclass(self):
            return {
                f.name: getattr(self, f.name)
                for f in dataclasses.fields(self)
                if not f.name.startswith("_")
            }
        return {}

    def to_dict(self) -> dict[str, Any]:
        """Every number and setting as JSON-serialisable Python objects, the table as records."""
        from adverse_impact._core._render import jsonable

        out = {name: jsonable(value) for name, value in self._fields().items()}
        frame = self.to_frame()  # type: ignore[attr-defined]
        out["table"] = [
            {str(k): jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
        ]
        return out


class _TransitionalSummary(str):
    """A ``summary()`` text that still answers the first wave's use of it, with a warning.

    In the first release ``ThresholdSweep.summary()`` returned a DataFrame
    and ``CounterfactualResult.summary()`` a dict; now every result's
    ``summary()`` is text.  This string *is* that text: ``isinstance(s,
    str)``, ``print``, ``splitlines()``, ``len()``, iteration, integer
    indexing, slicing and ``==`` with a string all behave as text.

    Used the old way it warns :class:`~adverse_impact.AliasWarning` once,
    naming the new spelling, and answers from the old value (built once, on
    that first use, and kept, so changes made through it persist as they did
    on the old object):

    - a public attribute a ``str`` does not have but the old type does
      (``.loc``, ``.iloc``, ``.columns``, a dict's ``.keys()``,
      ``.items()``, ``.get()``) or a column of the old table (``.rate``); a
      method warns when called, so ``hasattr`` probes stay silent;
    - a key that is not an integer or slice (``["rate"]``,
      ``[["threshold", "rate"]]``, a boolean mask, ``["flip_rate"]``), item
      assignment and deletion; ``dict(s)`` and ``{**s}`` work through ``keys()``;
    - ``key in s`` for a column or key the text does not contain (the text
      answers first, so ``in`` is true when either answer is);
    - ``s == other`` when ``other`` is a DataFrame or a mapping.

    What stays text, silently: names ``str`` shares with the old type
    (``.count``, ``.index``, ``.replace``, ``.join`` of a DataFrame; its
    ``.keys()``, so that pandas never takes the text for a mapping),
    ``len()``, iteration, integer indexing and slicing, ``json.dumps``, and
    every operation that makes a new string (``+``, ``.upper()``,
    ``str(s)``, a copy or a pickle give a plain ``str``).  Code that checks
    the type (``isinstance(s, dict)``, ``pd.concat``,
    ``pd.testing.assert_frame_equal``, ``pd.DataFrame([s])``) sees a string.

    Parameters
    ----------
    text : str
        The summary.
    old : callable
        Builds the first-wave value (the new spelling, e.g. a bound method).
    kind : type
        Its type (``pandas.DataFrame`` or ``dict``): which attributes are old.
    keys : tuple of str
        Its columns or keys.
    was, now : str
        The old and the new spelling, for the warning.

    Examples
    --------
    >>> import warnings
    >>> s = _TransitionalSummary("Result: 2 numbers", lambda: {"a": 1, "b": 2}, dict,
    ...                          ("a", "b"), "Result.summary()", "Result.numbers")
    >>> isinstance(s, str), s.splitlines()[0], s[:6]
    (True, 'Result: 2 numbers', 'Result')
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     s["a"], sorted(s.keys()), s.get("b")
    (1, ['a', 'b'], 2)
    >>> len(caught), caught[0].category.__name__
    (1, 'AliasWarning')
    """

    def __new__(
        cls,
        text: str,
        old: Callable[[], Any],
        kind: type,
        keys: tuple[str, ...],
        was: str,
        now: str,
    ) -> _TransitionalSummary:
        self = super().__new__(cls, text)
        # A str subclass cannot have slots; these live in the instance dict.
        self.__dict__.update(_old=old, _kind=kind, _keys=keys, _was=was, _now=now)
        return self

    def _old_value(self) -> Any:
        """The first-wave value, built and warned about on first use."""
        state = self.__dict__
        if "_value" not in state:
            warn(
                f"{self._was} returns text now, the same kind of summary as every result; "
                f"what it returned before is {self._now}: use that to silence this warning",
                AliasWarning,
            )
            state["_value"] = self._old()
        return state["_value"]

    def __getattr__(self, name: str) -> Any:
        # Only reached for names str does not have.  Private and dunder names
        # are never forwarded: libraries probe those (pandas' ``_typ``,
        # IPython's ``_repr_html_``), and the old value must not answer them.
        # A table's ``keys`` is not forwarded either: pandas takes anything
        # with ``keys``, ``__getitem__`` and ``__contains__`` for a mapping
        # (``is_dict_like``), and the text must not pass for one.
        kind = self.__dict__.get("_kind")
        if (
            kind is None
            or name.startswith("_")
            or (name == "keys" and not issubclass(kind, Mapping))
            or not (hasattr(kind, name) or name in self.__dict__["_keys"])
        ):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        if inspect.isroutine(getattr(kind, name, None)):

            def method(*args: Any, **kwargs: Any) -> Any:
                return getattr(self._old_value(), name)(*args, **kwargs)

            method.__name__ = name
            return method
        return getattr(self._old_value(), name)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            return str.__getitem__(self, key)
        try:
            operator.index(key)
        except TypeError:
            return self._old_value()[key]
        return str.__getitem__(self, key)

    def __setitem__(self, key: Any, value: Any) -> None:
        self._old_value()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._old_value()[key]

    def __contains__(self, item: Any) -> bool:
        if isinstance(item, str):
            if str.__contains__(self, item):
                return True
            if item not in self._keys and "_value" not in self.__dict__:
                return False
        return item in self._old_value()

    def _is_old_kind(self, other: Any) -> bool:
        return isinstance(other, self._kind) or (self._kind is dict and isinstance(other, Mapping))

    def __eq__(self, other: object) -> Any:
        if self._is_old_kind(other):
            return self._old_value() == other
        return str.__eq__(self, other)

    def __ne__(self, other: object) -> Any:
        if self._is_old_kind(other):
            return self._old_value() != other
        return str.__ne__(self, other)

    __hash__ = str.__hash__

    def __reduce__(self) -> tuple[Any, ...]:
        # A copy or a pickle is the text alone.
        return (str, (str(self),))
