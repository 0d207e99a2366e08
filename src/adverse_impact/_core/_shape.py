"""The surface every result shares: a text ``summary()`` and a JSON-ready ``to_dict()``.

Results keep their own ``to_frame()``, ``__repr__`` and ``_repr_html_``; this
mixin adds the rest of the common shape from two things each result already
has, its headline (``_headline()``) and its table (``to_frame()``), plus the
scalar fields it names in ``_fields()``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

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
