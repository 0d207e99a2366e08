"""The audit record: an append-only SQLite file of past audits, never of applicants."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from adverse_impact._core._errors import input_error, type_error
from adverse_impact._core._validation import below_ratio
from adverse_impact._monitoring import PUBLIC
from adverse_impact._version import __version__

__all__ = [*PUBLIC["_log"], "SCHEMA", "SCHEMA_VERSION"]

#: Bumped whenever the schema changes; a file with a higher number is refused.
#: 2: the columns ``rule`` and ``verdict`` (the gate's decision, family and correction).
SCHEMA_VERSION = 2
#: ``PRAGMA application_id`` of an audit log ("AILG"), so other SQLite files are refused.
APPLICATION_ID = 0x41494C47

SCHEMA = """
CREATE TABLE IF NOT EXISTS audits (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recorded_at TEXT NOT NULL,          -- ISO 8601 UTC time of log.add()
    library_version TEXT NOT NULL,      -- adverse-impact version that wrote the entry
    kind TEXT NOT NULL,                 -- 'audit' or 'monitor'
    label TEXT,                         -- free text: what was audited
    model_version TEXT,                 -- free text: which model
    parameters TEXT NOT NULL,           -- JSON object: the result's settings
    fingerprint TEXT NOT NULL,          -- 'sha256:...' of the per-group counts
    n_total INTEGER NOT NULL,           -- rows audited
    n_groups INTEGER NOT NULL,          -- table rows (attribute x group)
    n_below_four_fifths INTEGER NOT NULL, -- groups below 4/5 (monitor: four-fifths alerts)
    min_impact_ratio REAL,              -- smallest impact ratio (monitor: at the last look)
    passes INTEGER NOT NULL,            -- 1 when the gate given passed (default: four-fifths)
    result TEXT NOT NULL,               -- JSON: to_dict() plus the per-group counts
    rule TEXT,                          -- the gate's rule: four_fifths, significance, both, either
    verdict TEXT                        -- the verdict in words: rule, family, correction
);
--
CREATE INDEX IF NOT EXISTS audits_label ON audits (label, recorded_at);
--
CREATE TRIGGER IF NOT EXISTS audits_no_update BEFORE UPDATE ON audits
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
--
CREATE TRIGGER IF NOT EXISTS audits_no_delete BEFORE DELETE ON audits
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
"""

_SUMMARY = [
    "id",
    "recorded_at",
    "library_version",
    "kind",
    "label",
    "model_version",
    "fingerprint",
    "n_total",
    "n_groups",
    "n_below_four_fifths",
    "min_impact_ratio",
    "passes",
    "rule",
    "verdict",
]

#: Columns added by each schema version, for files written by an older one.
_ADDED = {2: (("rule", "TEXT"), ("verdict", "TEXT"))}


def _now() -> str:
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds")


class AuditLog:
    """An append-only record of audits in an embedded SQLite database.

    Each entry keeps when it was added, the library version, the settings,
    the fingerprint of the counts, headline figures and the full JSON
    result (with the per-group counts it was computed from).  No row of
    applicant data is ever stored.  Entries cannot be changed or deleted
    through SQL (triggers refuse it).  Several processes may add at once:
    each entry is one SQLite transaction, so an entry is either wholly there
    or absent, even after a crash.

    Parameters
    ----------
    path : str or path
        The database file, created with its schema if missing.

    Raises
    ------
    InputError
        The file is not an audit log, or was written by a newer version
        (its schema number is higher than this version reads).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import adverse_impact as ai
    >>> log = ai.AuditLog(pathlib.Path(tempfile.mkdtemp()) / "audits.db")
    >>> result = ai.audit(selected=[1, 0, 1, 1], sensitive_features={"sex": ["F", "F", "M", "M"]})
    >>> entry = log.add(result, label="screener Q1", model_version="2.3.0")
    >>> log.history()[["id", "label", "model_version", "min_impact_ratio", "passes"]]
       id        label model_version  min_impact_ratio  passes
    0   1  screener Q1         2.3.0               0.5   False
    >>> log.get(entry).exact_ratios == result.exact_ratios
    True
    """

    __slots__ = ("_path",)

    def __init__(self, path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise type_error(
                "path",
                f"expected a file path, got {type(path).__name__}",
                "Pass the path of the log file, e.g. 'audits.db'",
            )
        object.__setattr__(self, "_path", Path(path).expanduser())
        if self._path.is_dir():
            raise input_error(
                "path", f"{str(path)!r} is a directory", "Pass a file path such as 'audits.db'"
            )
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect(write=True) as db:
            self._prepare(db)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("AuditLog is immutable")

    @property
    def path(self) -> Path:
        return self._path

    @contextlib.contextmanager
    def _connect(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        try:
            db = sqlite3.connect(self._path, timeout=60, isolation_level=None)
        except sqlite3.Error as exc:
            raise input_error(
                "path",
                f"cannot open {str(self._path)!r} ({exc})",
                "Check the path and its permissions",
            ) from exc
        try:
            db.execute("PRAGMA synchronous = FULL")
            if write:
                # Take the write lock at once: two writers queue instead of deadlocking.
                db.execute("BEGIN IMMEDIATE")
            yield db
            if write:
                db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise input_error(
                    "path",
                    f"{str(self._path)!r} is not a readable SQLite file ({exc})",
                    "Pass an audit-log file, or a new path",
                ) from exc
            raise
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        finally:
            db.close()

    def _prepare(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        app = db.execute("PRAGMA application_id").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise input_error(
                "path",
                f"{str(self._path)!r} was written by a newer adverse-impact (log "
                f"schema {version}; version {__version__} reads schema {SCHEMA_VERSION} and "
                "older)",
                "Upgrade adverse-impact to read or extend this log",
            )
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app not in (0, APPLICATION_ID) or (app == 0 and tables - {"sqlite_sequence"}):
            raise input_error(
                "path",
                f"{str(self._path)!r} is a SQLite file but not an adverse-impact audit log",
                "Pass a new path or an audit log",
            )
        if version < SCHEMA_VERSION:
            # One statement at a time: executescript() would commit the open
            # transaction and let a second writer in between.
            for statement in SCHEMA.split("\n--\n"):
                db.execute(statement)
            present = {row[1] for row in db.execute("PRAGMA table_info(audits)")}
            for added in range(version + 1, SCHEMA_VERSION + 1):
                for column, kind in _ADDED.get(added, ()):
                    if column not in present:
                        db.execute(f"ALTER TABLE audits ADD COLUMN {column} {kind}")
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def add(
        self,
        result: Any,
        *,
        label: str | None = None,
        model_version: str | None = None,
        verdict: Any = None,
    ) -> int:
        """Append a result with the verdict that was given on it; return its id.

        Parameters
        ----------
        result : AuditResult or MonitorResult
        label : str, optional
            What was audited, e.g. ``"resume screener, EU requisitions"``.
        model_version : str, optional
            Which model or configuration produced the decisions.
        verdict : GateVerdict, optional
            The gate's decision on ``result`` (from ``result.gate(...)``),
            recorded as given: ``passes``, ``rule`` and ``verdict``
            (:meth:`GateVerdict.describe`: the rule, the family of comparisons
            and the correction, in words). Without it the entry records
            ``result.gate()``, the default rule (four-fifths; for a monitor, its
            four-fifths alert). An audit no gate can judge (no one, or
            everyone, selected) is recorded as not passing, with the reason.
        """
        from adverse_impact._audits._result import AuditResult
        from adverse_impact._monitoring._monitor import MonitorResult

        for name, value in (("label", label), ("model_version", model_version)):
            if value is not None and not isinstance(value, str):
                raise type_error(
                    name, f"expected text, got {type(value).__name__}", f"Pass {name} as a string"
                )
        rule = text = None
        if isinstance(result, (AuditResult, MonitorResult)):
            passes, rule, text = _judged(result, verdict)
        if isinstance(result, AuditResult):
            payload, figures = _audit_figures(result, passes)
        elif isinstance(result, MonitorResult):
            payload, figures = _monitor_figures(result, passes)
        else:
            raise type_error(
                "result",
                f"cannot log a {type(result).__name__}",
                "Pass the result of ai.audit, ai.audit_model or ai.monitor",
            )
        row = _entry(figures, payload, label, model_version, rule, text)
        with self._connect(write=True) as db:
            self._prepare(db)
            cursor = db.execute(
                "INSERT INTO audits (recorded_at, library_version, kind, label, model_version,"
                " parameters, fingerprint, n_total, n_groups, n_below_four_fifths,"
                " min_impact_ratio, passes, result, rule, verdict)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                row,
            )
            return int(cursor.lastrowid)

    def history(
        self,
        *,
        label: str | None = None,
        model_version: str | None = None,
        kind: str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> pd.DataFrame:
        """The entries' headline figures as a DataFrame, oldest first.

        Filters are exact matches, and ``since``/``until`` ISO dates or times
        compared with ``recorded_at`` (UTC).  The full results are read with
        :meth:`get`.
        """
        clauses, values = [], []
        for column, value in (("label", label), ("model_version", model_version), ("kind", kind)):
            if value is not None:
                clauses.append(f"{column} = ?")
                values.append(value)
        if since is not None:
            clauses.append("recorded_at >= ?")
            values.append(str(since))
        if until is not None:
            clauses.append("recorded_at < ?")
            values.append(str(until))
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self._connect(write=False) as db:
            self._check_readable(db)
            rows = db.execute(
                f"SELECT {', '.join(_SUMMARY)} FROM audits{where} ORDER BY id", values
            ).fetchall()
        frame = pd.DataFrame(rows, columns=_SUMMARY)
        frame["passes"] = frame["passes"].astype(bool)
        frame["min_impact_ratio"] = frame["min_impact_ratio"].astype(float)
        return frame

    def _check_readable(self, db: sqlite3.Connection) -> None:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            self._prepare(db)  # raises the newer-version message

    def get(self, id: int) -> Any:
        """The result stored under ``id``, as an ``AuditResult`` or ``MonitorResult``."""
        from adverse_impact._audits._result import AuditResult
        from adverse_impact._monitoring._monitor import MonitorResult

        if isinstance(id, bool) or not isinstance(id, int):
            raise type_error(
                "id",
                f"expected an integer id, got {type(id).__name__}",
                "Pass an id from log.history()['id']",
            )
        with self._connect(write=False) as db:
            self._check_readable(db)
            found = db.execute("SELECT kind, result FROM audits WHERE id = ?", (id,)).fetchone()
        if found is None:
            raise input_error(
                "id", f"no entry {id} in {str(self._path)!r}", "Pass an id from log.history()['id']"
            )
        kind, text = found
        payload = json.loads(text)
        return (MonitorResult if kind == "monitor" else AuditResult).from_dict(payload)

    def __len__(self) -> int:
        with self._connect(write=False) as db:
            return int(db.execute("SELECT count(*) FROM audits").fetchone()[0])

    def __repr__(self) -> str:
        return f"AuditLog({str(self._path)!r}, {len(self)} entries)"


def _judged(result: Any, verdict: Any) -> tuple[Any, str | None, str]:
    """``(passes, rule, verdict in words)``: the verdict given, else the default gate's."""
    from adverse_impact._core._errors import InputError
    from adverse_impact._stats._gate import GateVerdict

    if verdict is not None and not isinstance(verdict, GateVerdict):
        raise type_error(
            "verdict",
            f"expected a GateVerdict, got {type(verdict).__name__}",
            "Pass result.gate(...), the verdict the gate gave",
        )
    try:
        given = result.gate() if verdict is None else verdict
        return given.passes, given.rule, given.describe()
    except InputError as exc:
        # No one, or everyone, selected: recorded as not passing, with the reason.
        return False, None, f"not judged: {exc}"


def _audit_figures(result: Any, passes: Any) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """An audit's JSON (with its per-group counts) and the log's headline columns."""
    from adverse_impact._audits._result import counts_to_dict
    from adverse_impact._publish._report import fingerprint

    payload = result.to_dict()
    payload["counts"] = counts_to_dict(result.counts)
    ratios = [float(r) for r in result.exact_ratios if r is not None]
    below = int(below_ratio(result.exact_ratios, 0.8).sum())
    figures = (
        "audit",
        fingerprint(result),
        result.n_total,
        len(result.table),
        below,
        min(ratios) if ratios else None,
        passes,
    )
    return payload, figures


def _monitor_figures(result: Any, passes: Any) -> tuple[dict[str, Any], tuple[Any, ...]]:
    """A monitor's JSON and the log's headline columns, read at its last look."""
    payload = result.to_dict()
    table = result.table
    last = table[table["period"] == result.periods[-1]]
    alerts = result.alerts
    ratios = last.loc[~last["is_reference"], "cum_impact_ratio"].dropna()
    figures = (
        "monitor",
        result.fingerprint(),
        result.n_total,
        int(table[["attribute", "group"]].drop_duplicates().shape[0]),
        # Groups with a four-fifths alert (cumulative or since a change), once each.
        int(
            alerts.loc[alerts["alert"] == "below_four_fifths", ["attribute", "group"]]
            .drop_duplicates()
            .shape[0]
        ),
        float(ratios.min()) if len(ratios) else None,
        passes,
    )
    return payload, figures


def _entry(
    figures: tuple[Any, ...],
    payload: dict[str, Any],
    label: str | None,
    model_version: str | None,
    rule: str | None,
    text: str | None,
) -> tuple[Any, ...]:
    """The values of one row of the ``audits`` table, in the schema's column order."""
    kind, print_, n_total, n_groups, below, low, passes = figures
    return (
        _now(),
        __version__,
        kind,
        label,
        model_version,
        json.dumps(payload["params"], sort_keys=True, allow_nan=False),
        print_,
        int(n_total),
        int(n_groups),
        int(below),
        low,
        int(bool(passes)),
        json.dumps(payload, ensure_ascii=False, allow_nan=False),
        rule,
        text,
    )
