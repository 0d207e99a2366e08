"""Public names: imported on first use by the public modules, shown under their public path.

``import adverse_impact`` is paid by every command-line call (``adverse-impact
--version``) and every pytest session where the plugin is installed, so the
public modules (the package, :mod:`adverse_impact.stats`) hold a table of
names instead of importing them (Scientific Python SPEC 1, "lazy loading";
a module-level ``__getattr__``, PEP 562).  Each private subpackage lists the
names it makes public in its ``PUBLIC`` table, which :func:`homes` turns into
the public module's table; :func:`attach` makes the module's ``__getattr__``
and ``__dir__`` from it.

A public class or function also says where users find it: its
``__module__`` is set to the public module (``adverse_impact.AuditResult``,
as httpx and numpy do), so reprs, tracebacks, pickles and the API docs show
that path, not the private module it lives in.  This module imports nothing
heavy; it must stay that way (``tests/core/test_public.py``).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any

#: The table of every public module that called :func:`attach`:
#: {public module: {name: private module defining it}}.
_TABLES: dict[str, Mapping[str, str]] = {}
#: Names whose ``__module__`` is already the public one, as (public module, name).
_done: set[tuple[str, str]] = set()
#: ``len(sys.modules)`` at the last sweep: no module imported since, nothing to do.
_modules_seen = 0


def attach(
    public: str,
    table: Mapping[str, str],
    submodules: Iterable[str] = (),
    defined: Iterable[str] = (),
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for the public module ``public``.

    ``table`` maps each public name to the private module that defines it;
    ``submodules`` are public submodules reachable as attributes, ``defined``
    the names the module holds itself (``__version__``); ``dir()`` lists the
    three and nothing else (no ``np``, no ``Any``).  The
    returned ``__getattr__`` imports a name's module on first use and does
    not store the name in the public module's namespace: doctest collects
    a module's examples from its namespace, and the examples of a public
    class belong to the module that defines it (see :func:`_show_public_path`).
    """
    _TABLES[public] = dict(table)
    submodules = tuple(submodules)
    names = sorted({*table, *submodules, *defined})

    def __getattr__(name: str) -> Any:
        home = _TABLES[public].get(name)
        if home is not None:
            module = sys.modules.get(home) or importlib.import_module(home)
            value = getattr(module, name)
            expose_loaded()
            return value
        if name in submodules:
            return importlib.import_module(f"{public}.{name}")
        raise AttributeError(f"module {public!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return list(names)

    return __getattr__, __dir__


def homes(*packages: types.ModuleType, table: str = "PUBLIC") -> dict[str, str]:
    """Where each public name lives, ``{name: module}``, from private subpackages' tables.

    Each package's ``table`` (its ``PUBLIC``: the names ``adverse_impact``
    exports from it) maps each of its modules to the public names the module
    defines; the modules themselves are not imported.

    Examples
    --------
    >>> from adverse_impact import _blackbox
    >>> homes(_blackbox)["paired_test"]
    'adverse_impact._blackbox._paired'
    """
    return {
        name: f"{package.__name__}.{module}"
        for package in packages
        for module, names in getattr(package, table).items()
        for name in names
    }


def expose_loaded() -> None:
    """Give every public name whose module is imported its public ``__module__``.

    Called on each lookup through a public module, so a result made by a
    function reached that way (``ai.audit(...)``) prints its class under the
    public path even before the class itself was looked up.
    """
    global _modules_seen
    if len(sys.modules) == _modules_seen:
        return
    _modules_seen = len(sys.modules)
    for public, table in list(_TABLES.items()):
        for name, home in table.items():
            if (public, name) in _done:
                continue
            module = sys.modules.get(home)
            if module is None or name not in vars(module):
                continue
            _show_public_path(vars(module)[name], public, name, module)
            _done.add((public, name))


def _show_public_path(value: Any, public: str, name: str, home: types.ModuleType) -> None:
    if not isinstance(value, (type, types.FunctionType)) or value.__module__ == public:
        return
    # doctest collects an object's examples from the module named by its __module__
    # (inspect.getmodule); the public module does not hold it (above), so the examples
    # are listed in the defining module's __test__ table, which doctest reads as is.
    vars(home).setdefault("__test__", {}).setdefault(name, value)
    value.__module__ = public
