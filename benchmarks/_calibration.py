"""The calibration framework: designs, the verdict registry, simulation, tables.

The script is ``benchmarks/calibration.py``; the verdict families live in
``benchmarks/_calibration_<family>.py`` modules, each registering itself here.

A *verdict* is anything the library turns into pass/fail, an alert or "N differ": the
release gate's rules, the pytest plugin, the CLI exit code, monitor alerts, paired and
ranking "differ" counts. Each verdict family registers one function here,

    @verdict("gate", designs=GATE_DESIGNS)
    def gate(design: Design, n_runs: int, seed: int) -> list[Estimate]: ...

that simulates ``n_runs`` seeded data sets from ``design`` (fair when
``design.impact`` is None, with one disadvantaged group otherwise) and returns one
:class:`Estimate` per rule it decides: the false-alarm rate under fair data or the
power under the stated disparity, with its Monte-Carlo standard error. The run writes
a Markdown table to ``benchmarks/results/<date>-calibration.md`` (and ``.json``) and
copies it into ``docs/which-test.md`` between the ``calibration`` markers.

Acceptance (issue 24): under fair data a verdict that involves a test of significance
rejects at most ``alpha + 3 * sqrt(alpha * (1 - alpha) / n_runs)`` of the runs (the
standard error is the one a correct alpha-level test would have, so a rate of 0 does
not make the bound 0). The four-fifths rule alone is the law's rule of thumb: its rate
is reported, not held to alpha. Power is reported per design, beside Holm over the same
comparisons (each comparison's own valid Monte-Carlo p-value, the reference chosen
anew in every draw), which the family adjustment must not fall below.

A new verdict family plugs in as a module ``benchmarks/_calibration_<family>.py`` that
defines its designs and its function with :func:`verdict`, added to ``FAMILIES`` in
``benchmarks/calibration.py``; nothing else changes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DOC = ROOT / "docs" / "which-test.md"
START, END = "<!-- calibration:start -->", "<!-- calibration:end -->"

#: The significance level every verdict is calibrated at.
ALPHA = 0.05


# -- designs and estimates ---------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A simulated hiring process: who applies, at what rate they are selected.

    Attributes
    ----------
    name : str
        A short name for the table.
    attributes : tuple of (name, shares)
        Independent protected attributes and the shares of their groups; the cell
        sizes are ``n * share_a * share_b`` rounded (at least 1), fixed in every run.
    n : int
        Applicants.
    rate : float
        Everyone's selection probability (fair).
    intersectional : bool
        Audit the intersection too.
    min_share : float or None
        The audit's ``min_share``.
    weights : {None, "cell", "row"}
        ``"cell"``: a weight per cell (post-stratification); ``"row"``: weights that
        also vary within cells (gamma-distributed around the cell's weight).
    strata : int
        Number of strata (requisitions) with different selection rates and different
        group mixes; 0 for none.
    unknown : float
        Share of applicants whose first attribute is unknown.
    impact : tuple (attribute, group index, ratio) or None
        One group selected at ``ratio`` times everyone else's rate (power); None is fair.
    options : dict
        Extra settings a verdict family reads (e.g. ``n_resamples``).
    """

    name: str
    attributes: tuple[tuple[str, tuple[float, ...]], ...]
    n: int
    rate: float
    intersectional: bool = True
    min_share: float | None = None
    weights: str | None = None
    strata: int = 0
    unknown: float = 0.0
    impact: tuple[str, int, float] | None = None
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def kind(self) -> str:
        return "false alarm" if self.impact is None else "power"

    def cell_sizes(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """Applicants per cell, and each attribute's group index per cell."""
        shares = [np.asarray(s, dtype=float) / np.sum(s) for _, s in self.attributes]
        grids = np.meshgrid(*[np.arange(s.size) for s in shares], indexing="ij")
        codes = [g.ravel() for g in grids]
        share = np.ones(codes[0].size)
        for code, s in zip(codes, shares):
            share = share * s[code]
        sizes = np.maximum(np.rint(self.n * share).astype(np.int64), 1)
        return sizes, codes

    @property
    def max_runs(self) -> int | None:
        return self.options.get("max_runs")

    def describe(self) -> str:
        parts = [f"{name} {len(s)} groups" for name, s in self.attributes]
        sizes, codes = self.cell_sizes()
        group_sizes = [np.bincount(c, weights=sizes) for c in codes]
        smallest = int(min(g.min() for g in group_sizes))
        largest = int(max(g.max() for g in group_sizes))
        text = (
            f"{' x '.join(parts)}; n={self.n:,}; groups {smallest:,}-{largest:,}; "
            f"rate {self.rate:.0%}"
        )
        if self.min_share is not None:
            text += f"; min_share {self.min_share:g}"
        if self.weights:
            text += f"; weights by {self.weights}"
        if self.strata:
            text += f"; {self.strata} strata"
        if self.unknown:
            text += f"; {self.unknown:.0%} unknown"
        if self.impact is not None:
            attribute, group, ratio = self.impact
            size = int(group_sizes[[a for a, _ in self.attributes].index(attribute)][group])
            text += f"; {attribute}[{group}] ({size:,} people) at impact ratio {ratio}"
        return text


@dataclass(frozen=True)
class Scenario:
    """A design of a verdict family whose data are not cell counts (monitor, paired, proxies).

    The registry needs only ``name``, ``kind``, ``describe()`` and ``max_runs`` from a
    design; the family's own simulation settings travel in ``options``.
    """

    name: str
    description: str
    kind: str  # "false alarm" or "power"
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def max_runs(self) -> int | None:
        return self.options.get("max_runs")

    def describe(self) -> str:
        return self.description


@dataclass(frozen=True)
class Estimate:
    """How often one verdict said "fails" over the runs of one design."""

    verdict: str
    rule: str
    design: str
    description: str
    kind: str
    n_runs: int
    hits: int
    #: Holm's rate over the same comparisons and runs, for power rows.
    holm: float | None = None
    #: False for a rule reported, not held (four-fifths alone, the old uncorrected gate).
    held: bool = True
    seconds: float = 0.0
    #: A stated power the rule must reach (the issue's monitor acceptance), or None.
    target: float | None = None
    #: Where the estimate was measured when the table joins several runs (a file name).
    source: str = ""

    @property
    def rate(self) -> float:
        return self.hits / self.n_runs if self.n_runs else math.nan

    @property
    def se(self) -> float:
        """The Monte-Carlo standard error of the rate."""
        p = self.rate
        return math.sqrt(p * (1 - p) / self.n_runs) if self.n_runs else math.nan

    @property
    def bound(self) -> float | None:
        """alpha + 3 SE (under a correct alpha-level test) for a held false-alarm rate."""
        if self.kind != "false alarm" or not self.held:
            return None
        return ALPHA + 3 * math.sqrt(ALPHA * (1 - ALPHA) / self.n_runs)

    @property
    def ok(self) -> bool | None:
        if self.kind == "false alarm":
            return None if self.bound is None else self.rate <= self.bound
        if self.target is not None:
            return self.rate >= self.target
        if self.holm is None or not self.held:
            return None
        # Paired on the same runs; one run's worth of slack for Monte-Carlo ties.
        return self.rate >= self.holm - 1.0 / self.n_runs

    def to_dict(self) -> dict[str, Any]:
        out = dataclasses.asdict(self)
        out.update(rate=self.rate, se=self.se, bound=self.bound, ok=self.ok)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Estimate:
        """Rebuild an estimate from :meth:`to_dict` output (a results ``.json``)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


def estimates(
    verdict_name: str,
    design: Design | Scenario,
    hits: dict[str, int],
    n_runs: int,
    *,
    holm: dict[str, int] | None = None,
    reported: Sequence[str] = (),
    seconds: float = 0.0,
    targets: dict[str, float] | None = None,
) -> list[Estimate]:
    """One :class:`Estimate` per rule from hit counts (the helper every verdict uses)."""
    return [
        Estimate(
            verdict=verdict_name,
            rule=rule,
            design=design.name,
            description=design.describe(),
            kind=design.kind,
            n_runs=n_runs,
            hits=int(count),
            holm=None if holm is None or rule not in holm else holm[rule] / n_runs,
            held=rule not in reported,
            seconds=seconds,
            target=None if targets is None else targets.get(rule),
        )
        for rule, count in hits.items()
    ]


# -- the registry ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    name: str
    function: Callable[[Any, int, int], list[Estimate]]
    designs: tuple[Design | Scenario, ...]
    quick_designs: tuple[Design | Scenario, ...]


VERDICTS: dict[str, Verdict] = {}


def verdict(
    name: str,
    designs: Sequence[Design | Scenario],
    quick: Sequence[Design | Scenario] | None = None,
) -> Callable[[Callable[[Any, int, int], list[Estimate]]], Any]:
    """Register a verdict family: ``function(design, n_runs, seed) -> list[Estimate]``."""

    def register(function: Callable[[Any, int, int], list[Estimate]]) -> Any:
        VERDICTS[name] = Verdict(
            name, function, tuple(designs), tuple(designs if quick is None else quick)
        )
        return function

    return register


# -- simulating applicants ------------------------------------------------------------------


def simulate(design: Design, rng: np.random.Generator) -> dict[str, Any]:
    """One data set from the design, as the arguments ``ai.audit`` takes (and ``_cells``)."""
    sizes, codes = design.cell_sizes()
    rows = np.repeat(np.arange(sizes.size), sizes)
    n = rows.size
    labels = {}
    for (name, shares), code in zip(design.attributes, codes):
        values = np.array([f"{name[0]}{i}" for i in range(len(shares))], dtype=object)
        labels[name] = values[code[rows]]
    probability = np.full(n, design.rate)
    stratum = None
    if design.strata:
        # Requisitions differ in selection rate and in who applies to them: collapsing
        # them would show a disparity that is not there (Simpson), so the null is
        # "independent within strata" and the draws keep each stratum's selections.
        first = codes[0][rows]
        weights = 1.0 + first[:, None] * np.arange(design.strata)[None, :]
        weights = weights / weights.sum(axis=1, keepdims=True)
        cumulative = weights.cumsum(axis=1)
        stratum = (rng.random(n)[:, None] > cumulative).sum(axis=1)
        stratum = np.minimum(stratum, design.strata - 1)
        rates = np.linspace(0.5, 1.5, design.strata) * design.rate
        probability = rates[stratum]
    if design.impact is not None:
        attribute, group, ratio = design.impact
        index = [a for a, _ in design.attributes].index(attribute)
        probability = np.where(codes[index][rows] == group, probability * ratio, probability)
    selected = rng.random(n) < probability
    if design.unknown:
        first = next(iter(labels))
        missing = rng.random(n) < design.unknown
        labels[first] = np.where(missing, None, labels[first])
    out: dict[str, Any] = {"selected": selected.astype(np.int8), "sensitive_features": labels}
    # Not an audit argument: each row's cell, for verdicts that recount by design.
    out["_cells"] = rows
    if design.weights:
        cell_weight = np.exp(rng.normal(0, 0.5, sizes.size))[rows]
        if design.weights == "row":
            cell_weight = cell_weight * rng.gamma(4.0, 0.25, n)
        out["sample_weight"] = cell_weight
    if stratum is not None:
        out["strata"] = stratum
    return out


# -- running and writing ----------------------------------------------------------------------


def run(
    names: Sequence[str] | None = None,
    *,
    n_runs: int = 1_000,
    seed: int = 20261206,
    quick: bool = False,
    progress: Callable[[str], None] | None = None,
    designs: Sequence[str] | None = None,
    checkpoint: Path | None = None,
) -> list[Estimate]:
    """Every registered verdict on each of its designs; seeded, so reruns agree.

    ``designs`` keeps only the designs of those names (each keeps its seed, so a
    subset reproduces the full run's figures); ``checkpoint`` appends each design's
    estimates to a JSON-lines file as soon as they are known, so a long run that is
    stopped keeps what it measured. A design's ``max_runs`` caps ``n_runs`` (a proxy
    gate's run trains a model: seconds, not milliseconds); the table shows the runs made.
    """
    out: list[Estimate] = []
    for name in names or list(VERDICTS):
        if name not in VERDICTS:
            raise SystemExit(f"unknown verdict {name!r}; choose from {', '.join(VERDICTS)}")
        entry = VERDICTS[name]
        chosen = entry.quick_designs if quick else entry.designs
        for i, design in enumerate(chosen):
            if designs is not None and design.name not in designs:
                continue
            runs = n_runs if design.max_runs is None else min(n_runs, design.max_runs)
            start = time.perf_counter()
            found = entry.function(design, runs, seed + 1_000 * i)
            seconds = time.perf_counter() - start
            found = [dataclasses.replace(e, seconds=seconds) for e in found]
            out += found
            if checkpoint is not None:
                with open(checkpoint, "a") as file:
                    for e in found:
                        file.write(json.dumps(e.to_dict()) + "\n")
            if progress:
                progress(f"{name} / {design.name}: {seconds:.1f} s")
    return out


def _percent(value: float | None) -> str:
    return "" if value is None or value != value else f"{100 * value:.1f}%"


def markdown(found: Sequence[Estimate], command: str, notes: Sequence[str] = ()) -> str:
    lines = [
        f"Measured {dt.date.today().isoformat()} with `{command}`; alpha = {ALPHA}. "
        "Rate: share of runs in which the verdict said *fails* (or alerted, or said "
        "*N differ*); SE: its Monte-Carlo standard error; bound: alpha + 3 SE of a "
        "correct test (held false-alarm rates); Holm: Holm over the same comparisons "
        "(valid per-comparison p-values), same runs; target: a power the issue states.",
        "",
    ]
    lines += [f"{note}\n" for note in notes]
    # Joined from several runs: each row says which one it comes from.
    sources = list(dict.fromkeys(e.source for e in found if e.source))
    if sources:
        lines += ["Rows measured in other runs (column *from*):", ""]
        lines += [f"- [{i}] `{name}`" for i, name in enumerate(sources, 1)]
        lines += ["- no mark: this run"] if any(not e.source for e in found) else []
        lines += [""]
    designs: dict[str, str] = {}
    for e in found:
        designs.setdefault(e.design, e.description)
    lines += ["| design | what is simulated |", "|---|---|"]
    lines += [f"| {name} | {text} |" for name, text in designs.items()]
    lines += [
        "",
        "| verdict | rule | design | measure | runs | rate | SE | bound | Holm | target | holds |"
        + (" from |" if sources else ""),
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---|" + ("---|" if sources else ""),
    ]
    for e in found:
        ok = {True: "yes", False: "**NO**", None: "reported"}[e.ok]
        origin = (f" [{sources.index(e.source) + 1}] |" if e.source else " |") if sources else ""
        lines.append(
            f"| {e.verdict} | {e.rule} | {e.design} | {e.kind} | {e.n_runs:,} | "
            f"{_percent(e.rate)} | {_percent(e.se)} | {_percent(e.bound)} | "
            f"{_percent(e.holm)} | {_percent(e.target)} | {ok} |{origin}"
        )
    return "\n".join(lines) + "\n"


def combine(paths: Sequence[Path], found: Sequence[Estimate] = ()) -> list[Estimate]:
    """Estimates of earlier runs joined with ``found``.

    Each path is a results ``.json`` or the ``.jsonl`` checkpoint of a run that was
    stopped (one estimate a line). A family can then be rerun alone (``--only``) and
    the one table rebuilt: an estimate of the same verdict, rule and design in a
    later source replaces the earlier one (``found`` comes last).
    """
    merged: dict[tuple[str, str, str], Estimate] = {}
    for path in paths:
        text = Path(path).read_text()
        if str(path).endswith(".jsonl"):
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
        else:
            items = json.loads(text)["estimates"]
        for item in items:
            e = Estimate.from_dict(item)
            e = dataclasses.replace(e, source=e.source or Path(path).name)
            merged[(e.verdict, e.rule, e.design)] = e
    for e in found:
        merged[(e.verdict, e.rule, e.design)] = e
    return list(merged.values())


def write(
    found: Sequence[Estimate],
    command: str,
    out: Path,
    docs: bool,
    notes: Sequence[str] = (),
    stem: str = "calibration",
) -> Path:
    text = markdown(found, command, notes)
    out.mkdir(parents=True, exist_ok=True)
    base = out / f"{dt.datetime.now(dt.UTC).strftime('%Y-%m-%dT%H%M')}-{stem}"
    Path(f"{base}.md").write_text("# Calibration of verdicts\n\n" + text)
    Path(f"{base}.json").write_text(
        json.dumps(
            {"command": command, "notes": list(notes), "estimates": [e.to_dict() for e in found]},
            indent=1,
        )
    )
    if docs and DOC.exists():
        page = DOC.read_text()
        if START in page and END in page:
            head, rest = page.split(START, 1)
            _, tail = rest.split(END, 1)
            DOC.write_text(f"{head}{START}\n{text}{END}{tail}")
    return Path(f"{base}.md")
