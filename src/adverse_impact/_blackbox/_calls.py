"""Calling a black-box scorer: counted calls, an on-disk cache, recorded failures, threads.

A paired test asks a scorer (a fitted model, a function, an API behind a
function) about many texts.  This module owns how those questions are put:
texts are cut into batches, each batch is one *call*; answers already in the
cache are not asked again; a call that raises is recorded (never retried
silently, never dropped); calls may run on threads, and the answers come back
in the design's order whatever the order in which the calls finish.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import math
import os
import pickle
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from adverse_impact._core._errors import input_error, type_error

__all__ = ["CallLog", "ScoreCache", "cache_file_name", "run_calls", "scorer_identity"]


def scorer_identity(scorer: Any, kind: str) -> str:
    """A stable fingerprint of a scorer: what the cache keys start with.

    A fitted estimator is identified by its pickled bytes (refitting changes
    it); a function by its module, qualified name and compiled code (editing
    the function changes it) and by the pickled state of the variables it
    closes over and the globals it names (retraining a model it calls
    changes it); a callable object by its class and, when it pickles, its
    state.  Objects that do not pickle count by their type only.  Pass ``scorer_id=``
    to :func:`adverse_impact.paired_test`
    to choose the identity yourself (for an API: the model name and prompt
    version).

    Examples
    --------
    >>> from adverse_impact._blackbox._calls import scorer_identity
    >>> def f(texts):
    ...     return [len(t) for t in texts]
    >>> scorer_identity(f, "score") == scorer_identity(f, "score")
    True
    >>> scorer_identity(f, "score") == scorer_identity(f, "rank")
    False
    """
    digest = hashlib.sha256(kind.encode())
    function = scorer if inspect.isfunction(scorer) else getattr(scorer, "__func__", None)
    if function is not None:
        digest.update(f"{function.__module__}.{function.__qualname__}".encode())
        _hash_code(digest, function.__code__)
        # What the function reads besides its arguments: the variables it
        # closes over and the globals it names (a model retrained in a
        # notebook must not be served the old model's answers).
        for cell in function.__closure__ or ():
            try:
                digest.update(_state_bytes(cell.cell_contents))
            except ValueError:  # an empty cell
                continue
        for name in _global_names(function.__code__):
            if name in function.__globals__:
                value = function.__globals__[name]
                if not inspect.ismodule(value):
                    digest.update(name.encode() + _state_bytes(value))
        owner = getattr(scorer, "__self__", None)
        if owner is not None:
            digest.update(_state_bytes(owner))
    else:
        digest.update(f"{type(scorer).__module__}.{type(scorer).__qualname__}".encode())
        digest.update(_state_bytes(scorer))
    return digest.hexdigest()


def _hash_code(digest: Any, code: types.CodeType) -> None:
    """Bytecode, names and constants, nested code included (no memory addresses)."""
    digest.update(code.co_code)
    digest.update(repr(code.co_names).encode())
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            _hash_code(digest, const)
        else:
            digest.update(repr(const).encode())


def _global_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def _state_bytes(obj: Any) -> bytes:
    try:
        return pickle.dumps(obj, protocol=4)
    except Exception:  # noqa: BLE001 - an unpicklable object is identified by its type alone
        return b"unpicklable"


_HEX = frozenset("0123456789abcdef")


def cache_file_name(identity: str) -> str:
    """The cache file of a scorer identity: never a path, whatever the identity holds.

    A fingerprint (hex) names its file by its first 32 digits, as before.  A
    ``scorer_id`` chosen by hand (``"gpt-4o-2024-08-06/rank-v1"``) may hold
    ``/``, ``..`` or characters a file system refuses: its file name keeps the
    safe characters for a reader and ends in a hash of the whole identity, so
    two identities never share a file.

    Examples
    --------
    >>> from adverse_impact._blackbox._calls import cache_file_name
    >>> cache_file_name("gpt-4o-2024-08-06/rank-v1")
    'gpt-4o-2024-08-06_rank-v1-320a0db30cd61179.jsonl'
    >>> "/" in cache_file_name("../../etc/passwd")
    False
    """
    if len(identity) == 64 and set(identity) <= _HEX:
        return f"{identity[:32]}.jsonl"
    readable = "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in identity)
    readable = readable.strip("._")[:48] or "scorer"
    digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]
    return f"{readable}-{digest}.jsonl"


class ScoreCache:
    """Answers kept on disk, one JSON line each, keyed by a hash of scorer and text.

    Lines are appended and flushed after every call, so a run that crashes
    halfway keeps the answers it paid for; a torn last line (a crash while
    writing) is ignored on reading.  Failed calls are never cached.
    """

    def __init__(self, directory: str | os.PathLike[str], identity: str) -> None:
        folder = Path(directory)
        if folder.exists() and not folder.is_dir():
            raise input_error(
                "cache",
                f"{str(directory)!r} exists and is not a directory",
                "Pass a directory path (it is created if missing)",
            )
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / cache_file_name(identity)
        self.identity = identity
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {}
        if self.path.exists():
            with open(self.path, encoding="utf-8") as file:
                for line in file:
                    try:
                        entry = json.loads(line)
                        self._values[entry["k"]] = entry["v"]
                    except (json.JSONDecodeError, KeyError, TypeError):
                        continue  # a torn line from an interrupted write

    def key(self, text: str, occurrence: int) -> str:
        """The key of the ``occurrence``-th asking of ``text`` (re-asks are separate)."""
        payload = f"{self.identity}\0{occurrence}\0{text}".encode()
        return hashlib.sha256(payload).hexdigest()

    def get(self, key: str) -> Any:
        return self._values.get(key)

    def put(self, items: Sequence[tuple[str, Any]]) -> None:
        lines = "".join(json.dumps({"k": k, "v": v}) + "\n" for k, v in items)
        with self._lock:
            with open(self.path, "a", encoding="utf-8") as file:
                file.write(lines)
                file.flush()
            for k, v in items:
                self._values[k] = v


@dataclass
class CallLog:
    """What happened: calls made, answers from the cache, and every failure."""

    n_calls: int = 0
    n_cached: int = 0
    failures: list[dict[str, Any]] | None = None

    def __post_init__(self) -> None:
        self.failures = [] if self.failures is None else self.failures


class _Progress:
    """A one-line progress display on stderr, redrawn at most a few times a second."""

    def __init__(self, total: int, enabled: Any) -> None:
        self.total, self.done, self.start, self.last = total, 0, time.perf_counter(), 0.0
        self.say = enabled if callable(enabled) else (self._stderr if enabled else None)
        self._lock = threading.Lock()

    @staticmethod
    def _stderr(message: str) -> None:
        print(f"\r{message}", end="", file=sys.stderr, flush=True)

    def step(self, final: bool = False) -> None:
        if self.say is None:
            return
        with self._lock:
            self.done += 0 if final else 1
            now = time.perf_counter()
            if not final and now - self.last < 0.25 and self.done < self.total:
                return
            self.last = now
            elapsed = now - self.start
            rate = self.done / elapsed if elapsed > 0 else 0.0
            left = (self.total - self.done) / rate if rate > 0 else math.nan
            eta = f", about {left:.0f} s left" if math.isfinite(left) and not final else ""
            self.say(f"paired_test: {self.done:,}/{self.total:,} scorer calls{eta}")
            if final and self.say is self._stderr:
                print(file=sys.stderr, flush=True)


def _batches(todo: Sequence[int], batch_size: int) -> list[list[int]]:
    return [list(todo[i : i + batch_size]) for i in range(0, len(todo), batch_size)]


def plan_calls(
    texts: Sequence[str], *, batch_size: int, cache: ScoreCache | None
) -> tuple[list[Any], list[str | None], list[list[int]]]:
    """Answers found in the cache, the cache keys, and the batches still to ask."""
    seen: dict[str, int] = {}
    answers: list[Any] = [None] * len(texts)
    keys: list[str | None] = [None] * len(texts)
    todo = []
    for i, text in enumerate(texts):
        occurrence = seen.get(text, 0)
        seen[text] = occurrence + 1
        if cache is not None:
            keys[i] = cache.key(text, occurrence)
            hit = cache.get(keys[i])
            if hit is not None:
                answers[i] = hit
                continue
        todo.append(i)
    return answers, keys, _batches(todo, batch_size)


def run_calls(
    ask: Callable[[list[str]], list[Any]],
    groups: Sequence[Sequence[str]],
    *,
    batch_size: int | None,
    cache: ScoreCache | None,
    max_calls: int | None,
    n_jobs: int,
    progress: Any,
    log: CallLog,
) -> list[Any]:
    """Ask ``ask`` about every text; return one answer per text (None where it failed).

    ``groups`` is a list of questions; each question is a list of texts asked
    together (for a pointwise scorer, one text each, batched ``batch_size`` at
    a time; for a ranker, one prompt's candidates, never split).  ``ask``
    takes the texts of one call and returns one answer per question in it,
    or raises; a raised error is recorded in ``log.failures`` with the call's
    number, its questions and the message, and their answers stay None.
    ``max_calls`` is checked against the calls still needed after the cache,
    before the first call.
    """
    # One cache entry per question: its texts joined (a prompt's answer
    # depends on all its candidates and their order).
    questions = ["\x1e".join(group) for group in groups]
    answers, keys, batches = plan_calls(
        questions, batch_size=batch_size or len(questions) or 1, cache=cache
    )
    log.n_cached += sum(a is not None for a in answers)
    needed = len(batches)
    if max_calls == 0 and needed:
        # max_calls=0 is "cache only": read what was paid for, call nothing.
        raise input_error(
            "max_calls",
            f"is 0 (cache only), and {sum(a is None for a in answers):,} answers are not in "
            f"the cache ({log.n_cached:,} are; {needed:,} scorer calls would fetch the rest)",
            f"Pass max_calls={needed:,} to make those calls, or the cache= and scorer_id= "
            "of the run that paid for them",
        )
    if max_calls is not None and needed > max_calls:
        cached = f" ({log.n_cached:,} answers already in the cache)" if cache else ""
        raise input_error(
            "max_calls",
            f"the design needs {needed:,} scorer calls, more than max_calls={max_calls:,}{cached}",
            f"Raise max_calls to {needed:,}, or shrink the design (fewer "
            "templates, repeats or signals, or a larger batch_size)",
        )
    bar = _Progress(needed, progress)
    lock = threading.Lock()

    def one(number: int) -> None:
        batch = batches[number]
        try:
            got = ask([questions[i] for i in batch])
        except Exception as error:  # noqa: BLE001 - every scorer error is recorded, not raised
            message = " ".join(str(error).split())[:300]
            with lock:
                log.failures.append(
                    {
                        "call": number,
                        "questions": list(batch),
                        "n_texts": len(batch),
                        "error": type(error).__name__,
                        "message": message,
                    }
                )
            bar.step()
            return
        for i, value in zip(batch, got):
            answers[i] = value
        if cache is not None:
            cache.put([(keys[i], answers[i]) for i in batch])
        bar.step()

    with lock:
        log.n_calls += needed
    if n_jobs == 1 or needed <= 1:
        for number in range(needed):
            one(number)
    else:
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            list(pool.map(one, range(needed)))
    if needed:
        bar.step(final=True)
    log.failures.sort(key=lambda f: f["call"])
    return answers


def check_n_jobs(n_jobs: Any) -> int:
    """Threads for the calls: a positive int (-1: one per CPU)."""
    if (
        isinstance(n_jobs, bool)
        or not isinstance(n_jobs, (int, np.integer))
        or n_jobs == 0
        or n_jobs < -1
    ):
        raise type_error(
            "n_jobs",
            f"{n_jobs!r} is not a positive integer or -1",
            "Pass n_jobs=1 (no threads), n_jobs=8, or -1 for one per CPU",
        )
    return (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
