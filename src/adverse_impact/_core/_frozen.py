"""Frozen results' plumbing: fields handed out as copies, and pickling through the constructor.

Every result is a frozen dataclass.  Two things the ``dataclasses`` module
does not do for them live here:

* :class:`Copied`, a field whose value (a DataFrame, a dict) is kept in the
  slot ``_<name>`` and handed out as a copy on every read, so that
  ``result.table`` is what it always was while ``dataclasses.replace`` and
  the constructor still take ``table=``;
* :func:`reduce_by_fields`, a ``__reduce__`` that rebuilds a result through
  its constructor.  Read-only mappings (``MappingProxyType``) cannot be
  pickled or deep-copied; they travel as dicts and the constructor makes
  them read-only again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

__all__ = ["Copied", "read_only", "reduce_by_fields"]


def read_only(mapping: Any) -> MappingProxyType:
    """A read-only view of a copy of ``mapping``."""
    return MappingProxyType(dict(mapping))


class Copied:
    """A dataclass field stored in the slot ``_<name>`` and read through ``copy``.

    The owner lists ``_<name>`` in its ``__slots__`` (``dataclass(slots=True)``
    would replace this descriptor by a plain slot).  Without ``default`` the
    field is required: reading it from the class raises ``AttributeError``,
    which is how ``dataclasses`` learns a descriptor field has no default.
    """

    __slots__ = ("copy", "default", "name", "slot")

    def __init__(self, copy: Callable[[Any], Any], default: Any = dataclasses.MISSING) -> None:
        self.copy = copy
        self.default = default

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            if self.default is dataclasses.MISSING:
                raise AttributeError(f"{self.name} is a required field")
            return self.default
        return self.copy(getattr(obj, self.slot))

    def __set__(self, obj: Any, value: Any) -> None:
        # Reached only from the dataclass __init__: a frozen dataclass's
        # __setattr__ refuses every assignment before a descriptor is consulted.
        object.__setattr__(obj, self.slot, value)


def _rebuild(cls: type, values: dict[str, Any], read_only_fields: tuple[str, ...] = ()) -> Any:
    for name in read_only_fields:
        values[name] = MappingProxyType(values[name])
    return cls(**values)


def reduce_by_fields(result: Any) -> tuple[Any, tuple[type, dict[str, Any], tuple[str, ...]]]:
    """``__reduce__`` of a frozen result: its class and its fields, rebuilt by the constructor.

    A read-only mapping travels as a dict and is made read-only again, so
    the copy is as immutable as the original.
    """
    values = {f.name: getattr(result, f.name) for f in dataclasses.fields(result) if f.init}
    proxies = tuple(name for name, value in values.items() if isinstance(value, MappingProxyType))
    for name in proxies:
        values[name] = dict(values[name])
    return _rebuild, (type(result), values, proxies)
