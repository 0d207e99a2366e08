"""Monitoring a screener over time: cumulative impact ratios with anytime-valid alerts."""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from adverse_impact._core import _groups
from adverse_impact._core._counts import PERIOD_KEY, UNPARSEABLE, count_periods
from adverse_impact._core._errors import input_error
from adverse_impact._core._frozen import read_only, reduce_by_fields
from adverse_impact._core._params import validate_params
from adverse_impact._core._validation import check_option, check_unknown, require_sensitive_features
from adverse_impact._monitoring import PUBLIC, _report
from adverse_impact._monitoring._change import change_sequences, guarantee, trailing_window
from adverse_impact._monitoring._confseq import best_rho, log_ratio_sequence, planned_slopes
from adverse_impact._stats._gate import Gated, GateVerdict, gate_arguments
from adverse_impact._stats._gate import verdict as gate_verdict
from adverse_impact._stats._significance import check_alpha

__all__ = list(PUBLIC["_monitor"])

FOUR_FIFTHS = 0.8
ALERTS = ("below_four_fifths", "below_one")
DETECTORS = ("cumulative", "change")
#: The alerts each gate rule fails on (``gate``, ``passes``, the CLI's ``--fail-on``).
#: A monitor looks at every period, so every rule is read through its anytime-valid
#: confidence sequences (cumulative and restarted), never through a point estimate:
#: "below 4/5" is a sequence wholly below 0.8, "significantly lower" one wholly below 1.
RULE_ALERTS = {
    "four_fifths": ("below_four_fifths",),
    "both": ("below_four_fifths",),
    "significance": ("below_four_fifths", "below_one"),
    "either": ("below_four_fifths", "below_one"),
}
#: The rules in words, as a monitor applies them.
RULE_WORDS = {
    "four_fifths": "a confidence sequence, cumulative or since a change, wholly below {ratio}",
    "both": "a confidence sequence, cumulative or since a change, wholly below {ratio}",
    "significance": "a confidence sequence, cumulative or since a change, wholly below 1",
    "either": "a confidence sequence, cumulative or since a change, wholly below 1",
}
_CORRECTIONS = ("bonferroni", "none")


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class MonitorResult(Gated):
    """Per-period and cumulative impact ratios with an anytime-valid confidence sequence.

    Returned by :func:`adverse_impact.monitor`.  Holds counts and figures
    only, never a row of input data.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (attribute, group, period), periods in time order:
        ``n``, ``selected``, ``rate`` and ``impact_ratio`` of the period
        alone; ``cum_n``, ``cum_selected``, ``cum_rate`` and
        ``cum_impact_ratio`` of everything up to and including it;
        ``cs_low``/``cs_high``, the confidence sequence for the cumulative
        impact ratio against that look's reference; ``is_reference``;
        ``alert_four_fifths`` (``cs_high < 0.8``) and ``alert_any``
        (``cs_high < 1``).  A copy on every access.
    alerts : pandas.DataFrame
        One row per (attribute, group, alert) that fired: ``alert``
        (``"below_four_fifths"`` or ``"below_one"``), ``first_period``, and
        the cumulative ratio and ``cs_high`` at that look.
    params : Mapping
        The settings: period, alpha, the per-comparison level after the
        Bonferroni split, the mixing precision ``rho``, reference, ...
    unknown : Mapping[str, int]
        Rows of unknown group per attribute (dated rows only).
    n_missing_time, n_unparseable_time : int
        Rows set aside because their time is missing or cannot be read as a
        date; counted and reported, never silently dropped.

    Examples
    --------
    >>> import adverse_impact as ai
    >>> result = ai.monitor(time=["2025-01-03", "2025-02-07", "not a date"] * 4,
    ...                     selected=[1, 0, 1] * 4,
    ...                     sensitive_features={"sex": list("FFFFFFMMMMMM")})
    >>> result.periods, result.n_unparseable_time
    (['2025-01', '2025-02'], 4)
    >>> result.to_frame()[["group", "period", "cum_n", "cum_impact_ratio"]]
      group   period  cum_n  cum_impact_ratio
    0     F  2025-01      2               1.0
    1     F  2025-02      4               1.0
    2     M  2025-01      2               1.0
    3     M  2025-02      4               1.0
    """

    # Read-only mappings inside cannot be pickled: rebuild through the constructor.
    __reduce__ = reduce_by_fields

    _table: pd.DataFrame
    _alerts: pd.DataFrame
    params: Mapping[str, Any]
    unknown: Mapping[str, int]
    n_total: int
    n_missing_time: int
    n_unparseable_time: int

    @property
    def table(self) -> pd.DataFrame:
        return self._table.copy()

    @property
    def alerts(self) -> pd.DataFrame:
        return self._alerts.copy()

    @property
    def periods(self) -> list[Any]:
        """The periods, in time order."""
        return list(dict.fromkeys(self._table["period"]))

    def first_alert(self, alert: str = "below_four_fifths", detector: str | None = None) -> Any:
        """The first period at which any group's alert of this kind fired, or None.

        ``detector``: ``"cumulative"``, ``"change"``, or None for either.
        """
        check_option(alert, "alert", ALERTS)
        if detector is not None:
            check_option(detector, "detector", DETECTORS)
        rows = self._alerts[self._alerts["alert"] == alert]
        if detector is not None:
            rows = rows[rows["detector"] == detector]
        if rows.empty:
            return None
        order = {p: i for i, p in enumerate(self.periods)}
        return min(rows["first_period"], key=order.__getitem__)

    def gate(
        self, min_ratio: float | Fraction = 0.8, alpha: float | None = None, rule: str | None = None
    ) -> GateVerdict:
        """The gate's verdict on the alerts (the CLI's exit status, ``--fail-on``).

        A monitor looks at every period, and a point estimate read at every
        look would alarm on noise, so each rule is read through the
        anytime-valid confidence sequences (cumulative, and restarted after a
        change) and fails on the alerts they raise:

        =================  ===========================================
        rule               fails on
        =================  ===========================================
        ``four_fifths``    ``below_four_fifths`` (a sequence wholly
                           below 0.8; the default)
        ``both``           ``below_four_fifths`` (below 0.8, and so
                           also significantly below 1)
        ``significance``   either alert (a sequence wholly below 1)
        ``either``         either alert
        =================  ===========================================

        Every rule has the monitor's false-alarm guarantee (``params["guarantee"]``,
        the family and its Bonferroni split in ``params``), named in the verdict.
        ``min_ratio`` must be 0.8 where the rule reads it and ``alpha`` the
        monitor's own: the sequences were computed at those, and another value
        raises :class:`~adverse_impact.InputError` (re-run :func:`monitor`).
        There is no ``failing()``: the rows of :meth:`to_frame` are periods.

        Examples
        --------
        >>> import adverse_impact as ai
        >>> result = ai.monitor(time=["2025-01-03", "2025-02-07"] * 4, selected=[1, 0] * 4,
        ...                     sensitive_features={"sex": list("FFFFMMMM")})
        >>> result.gate().passes
        True
        >>> result.gate(alpha=0.01)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        adverse_impact.InputError: alpha: a MonitorResult was computed at alpha=0.05, not 0.01. ...
        """
        level = float(self.params.get("alpha", 0.05))
        arguments = gate_arguments(
            min_ratio,
            alpha,
            rule,
            result="MonitorResult",
            fixed_alpha=level,
            alpha_fix=(
                f"Re-run monitor(..., alpha={alpha!r}): the confidence sequences are "
                "computed at the monitor's alpha"
            ),
            fixed_min_ratio=FOUR_FIFTHS,
            min_ratio_fix=(
                "Drop min_ratio=: the monitor's four-fifths alert is a confidence sequence "
                "wholly below 0.8; for another floor, read cs_high in the table"
            ),
        )
        alerts = self._alerts[self._alerts["alert"].isin(RULE_ALERTS[arguments.rule])]
        failing, details = [], []
        for (attribute, group), part in alerts.groupby(["attribute", "group"], sort=False):
            failing.append(f"{attribute}={group}")
            now = part["ratio_now"].iloc[0]
            details.append(
                "; ".join(
                    f"{'cumulative' if d == 'cumulative' else 'restarted'} sequence (from "
                    f"{since}) wholly below {'0.8' if a == 'below_four_fifths' else '1'} "
                    f"since {first}"
                    for a, d, since, first in zip(
                        part["alert"], part["detector"], part["since"], part["first_period"]
                    )
                )
                + (f"; cumulative ratio now {_report.ratio_text(now)}" if now == now else "")
            )
        return gate_verdict(
            arguments,
            min_ratio,
            failing,
            family=_report.family_clause(self)
            + (
                "; alpha split by Bonferroni over the comparisons"
                if self.params.get("correction") == "bonferroni"
                else "; no correction over the comparisons"
            ),
            details=details,
            words=RULE_WORDS,
        )

    def to_frame(self) -> pd.DataFrame:
        """The tidy table (a copy)."""
        return self._table.copy()

    def to_dict(self) -> dict[str, Any]:
        """Every number and setting as JSON-serialisable Python objects."""
        from adverse_impact._core._render import jsonable

        def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
            return [
                {k: jsonable(v) for k, v in row.items()} for row in frame.to_dict(orient="records")
            ]

        return {
            "kind": "monitor",
            "n_total": self.n_total,
            "n_missing_time": self.n_missing_time,
            "n_unparseable_time": self.n_unparseable_time,
            "unknown": jsonable(dict(self.unknown)),
            "params": jsonable(dict(self.params)),
            "table": records(self._table),
            "alerts": records(self._alerts),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MonitorResult:
        """Rebuild a result from :meth:`to_dict` output (as kept by an audit log)."""
        table = pd.DataFrame([dict(r) for r in data["table"]])
        for column in (
            "cs_low",
            "cs_high",
            "rate",
            "impact_ratio",
            "cum_rate",
            "cum_impact_ratio",
            "win_rate",
            "win_impact_ratio",
            "change_impact_ratio",
            "change_cs_high",
        ):
            if column in table:
                table[column] = pd.to_numeric(table[column]).astype(float)
        # Entries logged before the change detector: its columns, empty.
        for column in ("win_n", "win_rate", "win_impact_ratio", "change_impact_ratio"):
            if column not in table:
                table[column] = np.nan
        if "change_since" not in table:
            table["change_since"] = None
            table["change_cs_high"] = np.nan
            table["alert_change_four_fifths"] = False
            table["alert_change_any"] = False
        table["change_since"] = table["change_since"].astype(object)
        table["group"] = table["group"].astype(object)
        table["period"] = table["period"].astype(object)
        records = [dict(r) for r in data["alerts"]]
        for record in records:
            # Entries logged before the change detector: cumulative alerts, ratio at alert.
            if "detector" not in record:
                record.setdefault("detector", "cumulative")
                record.setdefault("ratio_at_alert", record.pop("cum_impact_ratio", None))
        alerts = pd.DataFrame(records, columns=ALERT_COLUMNS)
        for column in ("ratio_at_alert", "cs_high", "ratio_now", "window_ratio_now"):
            alerts[column] = pd.to_numeric(alerts[column]).astype(float)
        params = dict(data["params"])
        if "horizon" not in params:  # written before the change detector
            comparisons = params.get("comparisons", 1)
            params.update(
                horizon=None,
                window=None,
                alpha_change=None,
                family=f"{comparisons} comparison{'s' if comparisons != 1 else ''}",
                guarantee="the chance of any false alert at any look is at most "
                f"{params.get('alpha', 0.05):g}",
            )
        return cls(
            table,
            alerts,
            read_only(params),
            read_only(data["unknown"]),
            int(data["n_total"]),
            int(data["n_missing_time"]),
            int(data["n_unparseable_time"]),
        )

    def fingerprint(self) -> str:
        """SHA-256 of the per-group, per-period counts, as ``AuditResult``'s fingerprint."""
        import hashlib

        cells = sorted(
            json.dumps([str(a), str(g), str(p), int(n), int(s)])
            for a, g, p, n, s in self._table[
                ["attribute", "group", "period", "n", "selected"]
            ].itertuples(index=False)
        )
        canonical = json.dumps(
            {"cells": cells, "rule": self.params.get("rule"), "cutoff": self.params.get("cutoff")},
            sort_keys=True,
            separators=(",", ":"),
        )
        return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def to_json(self, path: Any = None, *, indent: int | None = 2) -> str:
        """:meth:`to_dict` as JSON, with the library version; optionally written atomically."""
        from adverse_impact._version import __version__

        payload = self.to_dict()
        payload["library"] = {"name": "adverse-impact", "version": __version__}
        text = json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)
        if path is not None:
            from adverse_impact._core._io import write_atomic

            write_atomic(path, text)
        return text

    def summary(self) -> str:
        """The text report: the verdict in one sentence, then each alert with the ratio now."""
        return _report.summary(self)

    @property
    def verdict(self) -> str:
        """One sentence: what was found, the family watched and the false-alarm guarantee."""
        return _report.verdict(self)

    def _document(self) -> Any:
        """The report for the publication layer (``_publish._document``)."""
        return _report.document(self)

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return _report.notebook_html(self)

    def to_markdown(self) -> str:
        """The report as Markdown: verdict, alerts, each attribute at the last look, method."""
        return _report.markdown(self)

    def plot(self, attribute: str | None = None, *, ax: Any = None) -> Any:
        """Impact ratios over time: cumulative with its sequence, the recent window, 0.8, alerts.

        Needs matplotlib (``pip install "adverse-impact[plot]"``).  Returns the axes; a
        new figure uses constrained layout, so a plain ``savefig`` clips no label.
        """
        return _report.plot(self, attribute, ax=ax)

    def to_html(self, path: Any = None) -> str:
        """A self-contained HTML page (no script, no network): the verdict, the alerts, a
        chart and a table per attribute, the method and guarantee."""
        text = _report.page_html(self)
        if path is not None:
            from adverse_impact._core._io import write_atomic

            write_atomic(path, text)
        return text


def _period_label(key: Any, period: str | None) -> Any:
    if period is None or not isinstance(key, str):
        return key
    year, month, _ = key.split("-")
    if period == "month":
        return f"{year}-{month}"
    if period == "quarter":
        return f"{year}Q{(int(month) - 1) // 3 + 1}"
    if period == "year":
        return year
    return key


@validate_params()
def monitor(
    data: Any = None,
    *,
    time: Any,
    selected: Any = None,
    score: Any = None,
    threshold: float | None = None,
    sensitive_features: Any = None,
    period: str | None = "month",
    alpha: float = 0.05,
    reference: Any = "highest",
    intersectional: bool = False,
    unknown: Any = None,
    planned_se: float = 0.1,
    correction: str = "bonferroni",
    horizon: int | None = 36,
    window: int = 3,
    change_planned_se: float = 0.04,
) -> MonitorResult:
    """Monitor selection rates over time with alerts whose false-alarm rate holds.

    Counts every group in every period in one pass, accumulates the counts,
    and at each period (each "look") gives each group's cumulative impact
    ratio against the reference with a confidence *sequence*: a band that
    covers the true ratio at every look simultaneously with probability at
    least ``1 - alpha``.  Looking every month, every week, or stopping at the
    first alert therefore keeps the chance of any false alarm at ``alpha``,
    which a monthly significance test does not (about 0.2 after a year of
    monthly looks at ``alpha = 0.05``).

    Parameters
    ----------
    data : DataFrame, lazy frame, DuckDB relation, path or glob, optional
        The rows, as in :func:`adverse_impact.audit`; a path, a glob or a list
        of Parquet files is read out of core (DuckDB, else polars).
    time : str or array-like
        When each decision was made: dates, datetimes or ISO text.  Missing
        and unparseable values are counted (``n_missing_time``,
        ``n_unparseable_time``) and left out.
    selected, score, threshold, sensitive_features, reference, unknown
        As in :func:`adverse_impact.audit`; scores need a ``threshold``
        (the median of all periods would use the future).
    period : {"day", "week", "month", "quarter", "year"} or None, default "month"
        The length of a look.  ``None`` uses the time values themselves as
        period labels (e.g. a month number), in sorted order.
    alpha : float, default 0.05
        The chance that any sequence misses its ratio at any look.
    reference : "highest", label or dict, default "highest"
        ``"highest"``: at each look, the group with the highest cumulative
        rate.  A label fixes the comparison group of each attribute that has
        it (the others use ``"highest"``); a dict maps attribute names to
        labels.
    intersectional : bool, default False
        Also monitor the intersection of two or more attributes.
    planned_se : float, default 0.1
        Where the sequence is tightest: the standard error of the log impact
        ratio at which its width is optimised (Howard et al.'s
        ``v_opt = 1 / planned_se**2``).  Any value fixed before seeing the
        data keeps the guarantee; 0.1 is the precision at which a ratio of
        0.8 can be told from 1.
    correction : {"bonferroni", "none"}, default "bonferroni"
        Split ``alpha`` over the comparisons (each group against the
        reference; every pair when the reference is ``"highest"`` and may
        change), so that the chance of *any* false alert is at most ``alpha``.
    horizon : int or None, default 36
        The change detector: a sequence restarted at every period after the
        first, so that a disparity starting after monitoring began is not
        diluted by the months before it.  ``alpha`` is spent a quarter on the
        cumulative sequences and three quarters on the ``horizon - 1``
        restarts, and the chance of any false alert (cumulative or change,
        any group, any attribute) within the first ``horizon`` periods is at
        most ``alpha``.  Restarts continue after the horizon at the same
        level; the expected time to a false change alert is then at least
        ``4 (horizon - 1) / (3 alpha)`` periods (933 months at the defaults).
        ``None``: the cumulative sequences alone, with all of ``alpha``.
    window : int, default 3
        The periods in the "ratio now" reported beside the cumulative one
        (``win_impact_ratio``): the last three months at the defaults.  For
        display only: it changes no alert.
    change_planned_se : float, default 0.04
        The change planned for by the restarted sequences (a CUSUM): they
        are tightest where a window's log ratio has this standard error,
        and 0.04 is where a window can tell a ratio of 0.7 from 0.8
        (``log(0.8 / 0.7) / 0.04`` is about 3.3 standard errors).  A fifth
        of their weight goes to a change four times as coarse (0.16), so
        that a large change in a small group is caught too.

    Returns
    -------
    MonitorResult

    Notes
    -----
    The sequence for the log impact ratio ``theta`` is
    ``theta_hat -/+ r(V) / V`` with ``V = 1 / se^2`` (Katz's variance of the
    log ratio) and Robbins' two-sided normal-mixture radius
    ``r(V) = sqrt((V + rho) log((V + rho) / (rho alpha^2)))``
    (Howard et al. 2021, eq. (14) with section 3.5's ``rho``).  The
    guarantee is exact for a Gaussian process with known variance and holds
    asymptotically with the estimated variance (Waudby-Smith et al. 2024);
    the tests check it by simulation at 100 applicants per group per month.

    The change detector restarts the same sequence at every period ``j`` on
    the counts from ``j`` on; at each look the window whose upper end is
    lowest is reported (``change_since``, ``change_impact_ratio``,
    ``change_cs_high``), and an alert is that upper end below 0.8 (or 1).
    Each restart inverts the e-process ``sum_k w_k exp(lambda_k S - lambda_k^2
    V / 2)``, a mixture of likelihood ratios for the planned changes (slopes
    ``lambda_k`` fixed by ``change_planned_se``), so the alert rule is a CUSUM
    (Page 1954) in the e-detector form of Shin, Ramdas & Rinaldo (2023): a
    union bound over the restarts gives the within-horizon guarantee, and the
    e-detector's bound gives the average run length.  Seeded simulations in
    docs/monitoring.md (``benchmarks/calibration_monitor.py``) measure both.

    References
    ----------
    .. [1] Howard, S. R., Ramdas, A., McAuliffe, J., & Sekhon, J. (2021).
       Time-uniform, nonparametric, nonasymptotic confidence sequences.
       *Annals of Statistics*, 49(2), 1055-1080.
    .. [2] Robbins, H. (1970). Statistical methods related to the law of the
       iterated logarithm. *Annals of Mathematical Statistics*, 41(5), 1397-1409.
    .. [3] Waudby-Smith, I., Arbour, D., Sinha, R., Kennedy, E. H., & Ramdas, A.
       (2024). Time-uniform central limit theory and asymptotic confidence
       sequences. *Annals of Statistics*, 52(6), 2613-2640.
    .. [4] Shin, J., Ramdas, A., & Rinaldo, A. (2023). E-detectors: a
       nonparametric framework for sequential change detection. *The New
       England Journal of Statistics in Data Science*, 2(2), 229-260.
    .. [5] Page, E. S. (1954). Continuous inspection schemes. *Biometrika*,
       41(1/2), 100-115.

    Examples
    --------
    Twelve months in which women are selected at 60% of the men's rate:

    >>> import numpy as np, pandas as pd
    >>> import adverse_impact as ai
    >>> rng = np.random.default_rng(0)
    >>> months = np.repeat(pd.date_range("2025-01-01", periods=12, freq="MS"), 200)
    >>> sex = np.tile(["F", "M"], 1200)
    >>> chosen = rng.random(2400) < np.where(sex == "F", 0.18, 0.30)
    >>> result = ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex})
    >>> result.first_alert("below_one"), result.first_alert("below_four_fifths")
    ('2025-04', '2025-08')

    Fair for eight months, then women at 0.7 times the men's rate (1,500 a
    month each): the cumulative ratio is still 0.84 after ten biased months
    and its sequence never lies below 0.8; the change detector does, and
    says since when:

    >>> months = np.repeat(pd.date_range("2025-01-01", periods=18, freq="MS"), 3000)
    >>> sex = np.tile(["F", "M"], 27000)
    >>> late = (sex == "F") & (months >= "2025-09-01")
    >>> chosen = rng.random(54000) < np.where(late, 0.21, 0.30)
    >>> result = ai.monitor(time=months, selected=chosen, sensitive_features={"sex": sex})
    >>> result.first_alert("below_four_fifths", detector="cumulative") is None
    True
    >>> row = result.alerts.query("alert == 'below_four_fifths'").iloc[0]
    >>> row["detector"], row["since"], row["first_period"]
    ('change', '2025-09', '2026-04')
    >>> round(float(row["ratio_now"]), 2), round(float(row["window_ratio_now"]), 2)
    (0.84, 0.7)
    """
    groups = require_sensitive_features(sensitive_features)
    alpha = check_alpha(alpha)
    unknown_labels = check_unknown(unknown)
    _check_options(correction, planned_se, score, threshold)
    _check_horizon(horizon)
    counts = count_periods(
        data,
        time=time,
        period=period,
        selected=selected,
        groups=groups,
        score=score,
        threshold=threshold,
    )
    counts, n, missing, unparseable = _dated(counts)
    specs = _groups.specs(counts.attributes, intersectional)
    prepared, comparisons, unknown_counts = _prepare(
        counts, specs, unknown_labels, period, reference
    )
    family_size = comparisons if correction == "bonferroni" else 1
    design = _design(alpha, family_size, horizon, planned_se, change_planned_se)
    table = _looks(prepared, design, window)
    params = _params(
        design,
        counts,
        [name for name, _, _ in prepared],
        comparisons,
        period=period,
        alpha=alpha,
        correction=correction,
        planned_se=planned_se,
        horizon=horizon,
        window=window,
        change_planned_se=change_planned_se,
        reference=reference,
        intersectional=intersectional,
        unknown_labels=unknown_labels,
        selected=selected,
        score=score,
        time=time,
    )
    return MonitorResult(
        table,
        _alerts(table),
        read_only(params),
        read_only(unknown_counts),
        int(n.sum()),
        int(n[missing].sum()),
        int(n[unparseable].sum()),
    )


def _dated(counts: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    """The counts of the rows with a readable time; each cell's size, missing and unparseable.

    Rows without a time, or with one that could not be read, are counted in
    ``n_missing_time`` and ``n_unparseable_time`` and left out of every look.
    """
    keys = counts.table[PERIOD_KEY]
    n = counts.table["n"].to_numpy()
    missing = keys.isna().to_numpy()
    unparseable = (keys.astype(object) == UNPARSEABLE).to_numpy()
    dated = counts.table.loc[~missing & ~unparseable]
    counts = dataclasses.replace(counts, table=dated.reset_index(drop=True))
    if dated.empty:
        raise input_error(
            "time",
            "no row has a readable time",
            "Pass dates, datetimes or ISO text such as '2025-01-31'",
        )
    return counts, n, missing, unparseable


def _looks(
    prepared: list[tuple[str, pd.DataFrame, int | None]], design: _Design, window: int
) -> pd.DataFrame:
    """Every attribute's rows at every look, one table."""
    return pd.concat(
        [
            _look(
                name,
                grid,
                ref,
                level=design.level,
                rho=design.rho,
                change=design.change,
                window=window,
            )
            for name, grid, ref in prepared
        ],
        ignore_index=True,
    )


class _Design(NamedTuple):
    """The sequences' levels and tuning, fixed before any data is seen."""

    spend: dict[str, Any]  # alpha spent on the cumulative and restarted sequences
    level: float  # of each cumulative sequence
    rho: float
    change: tuple[float, Any] | None  # (level, planned slopes) of the restarts


def _design(
    alpha: float, family_size: int, horizon: int | None, planned_se: Any, change_planned_se: Any
) -> _Design:
    """Split alpha over the comparisons and the detectors, and tune each sequence."""
    spend = guarantee(alpha, family_size, horizon)
    level = spend["level_cumulative"]
    rho = best_rho(1 / planned_se**2, level)
    change = None
    if horizon is not None:
        change = (
            spend["level_change"],
            planned_slopes(change_planned_se, spend["level_change"]),
        )
    return _Design(spend, level, rho, change)


def _params(
    design: _Design,
    counts: Any,
    names: list[str],
    comparisons: int,
    *,
    period: str | None,
    alpha: float,
    correction: str,
    planned_se: Any,
    horizon: int | None,
    window: int,
    change_planned_se: Any,
    reference: Any,
    intersectional: bool,
    unknown_labels: frozenset,
    selected: Any,
    score: Any,
    time: Any,
) -> dict[str, Any]:
    """The result's settings: the arguments, the design, the family and its guarantee."""
    spend, level, change = design.spend, design.level, design.change
    return {
        "period": period,
        "alpha": alpha,
        "alpha_per_comparison": level,
        "alpha_change": spend["level_change"],
        "comparisons": comparisons,
        "correction": correction,
        "planned_se": float(planned_se),
        "rho": design.rho,
        "horizon": horizon,
        "window": int(window),
        "change_planned_se": float(change_planned_se),
        "change_slopes": None if change is None else [list(pair) for pair in change[1]],
        "average_run_length": spend["arl"],
        "family": (
            f"{comparisons} comparison{'s' if comparisons != 1 else ''} ({', '.join(names)})"
        ),
        "guarantee": _promise(alpha, horizon, period, correction),
        "reference": reference if isinstance(reference, (str, dict)) else repr(reference),
        "intersectional": bool(intersectional),
        "unknown": sorted(map(str, unknown_labels)),
        "rule": counts.rule,
        "cutoff": counts.cutoff,
        "selected": selected if isinstance(selected, str) else None,
        "score": score if isinstance(score, str) else None,
        "time": time if isinstance(time, str) else None,
        "method": _method(level, spend, alpha, horizon, correction, comparisons),
    }


def _promise(alpha: float, horizon: int | None, period: str | None, correction: str) -> str:
    """The false-alarm guarantee in words."""
    period_word = f"{period}s" if period else "periods"
    if horizon is None:
        return (
            f"the chance of any false alert at any look is at most {alpha:g}"
            if correction == "bonferroni"
            else f"the chance of a false alert at any look is at most {alpha:g} per comparison"
        )
    return f"the chance of any false alert within {horizon} {period_word} is at most {alpha:g}" + (
        "" if correction == "bonferroni" else " per comparison"
    )


def _method(
    level: float,
    spend: Mapping[str, Any],
    alpha: float,
    horizon: int | None,
    correction: str,
    comparisons: int,
) -> str:
    """The sequences and the spending of alpha, in words."""
    return (
        "Robbins' two-sided normal-mixture confidence sequences for the log impact "
        "ratio with Katz's variance (Howard et al. 2021): one from the first period "
        + (
            f"(the cumulative ratio) at level {level:.3g}, and one restarted at every later "
            f"period with linear boundaries for the planned changes (the change detector, "
            f"a CUSUM in the e-detector form of Shin, Ramdas & Rinaldo 2023) at level "
            f"{spend['level_change']:.3g}; alpha {alpha:g} spent a "
            f"quarter on the cumulative sequences and three quarters on the {horizon - 1} "
            f"restarts, each split by {correction} over {comparisons} comparison(s)"
            if horizon is not None
            else f"(the cumulative ratio); alpha split by {correction} over {comparisons} "
            "comparison(s)"
        )
    )


def _check_horizon(horizon: Any) -> None:
    """The change detector's horizon: whole periods, at least 2, or None (no detector).

    ``window`` and ``change_planned_se`` are declared in ``_core._params``."""
    if horizon is not None and (
        isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)) or horizon < 2
    ):
        raise input_error(
            "horizon",
            f"{horizon!r} is not a whole number of periods of at least 2",
            "Pass the number of periods the false-alarm guarantee should cover, e.g. 36 "
            "(three years of months), or None for the cumulative sequences alone",
        )


def _check_options(correction: str, planned_se: Any, score: Any, threshold: Any) -> None:
    """The checks of the correction, the planned standard error, and a score's threshold."""
    check_option(correction, "correction", _CORRECTIONS)
    if (
        isinstance(planned_se, bool)
        or not isinstance(planned_se, (int, float))
        or not 0 < planned_se < math.inf
    ):
        raise input_error(
            "planned_se",
            f"{planned_se!r} is not a positive number",
            "Pass the standard error of the log ratio to tune for, e.g. 0.1",
        )
    if score is not None and threshold is None:
        raise input_error(
            "threshold",
            "monitoring scores needs a fixed threshold",
            "Pass threshold=; the scoring rate's median of all periods would "
            "use future data at every look",
        )


def _prepare(
    counts: Any,
    specs: list[tuple[str, tuple[str, ...]]],
    unknown_labels: frozenset,
    period: str | None,
    reference: Any,
) -> tuple[list[tuple[str, pd.DataFrame, int | None]], int, dict[str, int]]:
    """Each attribute's grid of counts and fixed reference (None: the highest at each look),
    the number of comparisons the alpha is split over, and the unknown counts."""
    _groups.check_reference_keys(reference, specs, "monitored")
    comparisons = 0
    prepared = []
    unknown_counts: dict[str, int] = {}
    found_any = False
    for name, columns in specs:
        grid, n_unknown = _grid(counts, columns, unknown_labels, period)
        unknown_counts[name] = n_unknown
        k = grid.shape[0]
        if k < 2:
            raise input_error(
                "sensitive_features",
                f"attribute {name!r} has fewer than two known groups",
                "Monitor an attribute with two or more groups",
            )
        ref, found = _fixed_reference(name, [_groups.label(g) for g in grid.index], reference)
        found_any |= found
        # A fixed reference: each group against it; "highest" may change between
        # looks, so every pair may be compared.
        comparisons += k * (k - 1) // 2 if ref is None else k - 1
        prepared.append((name, grid, ref))
    _groups.check_reference_found(reference, found_any, "monitored")
    return prepared, comparisons, unknown_counts


def _fixed_reference(name: str, labels: list[Any], reference: Any) -> tuple[int | None, bool]:
    """The index of the attribute's requested reference group (None: the highest at each
    look), and whether a requested label was found."""
    wanted = reference.get(name, "highest") if isinstance(reference, Mapping) else reference
    if isinstance(wanted, str) and wanted == "highest":
        return None, False
    if wanted in labels:
        return labels.index(wanted), True
    if isinstance(reference, Mapping):
        raise input_error(
            "reference",
            f"{wanted!r} is not a group of {name!r}",
            f"Use one of {labels[:20]!r}",
        )
    return None, False


def _grid(
    counts: Any, columns: tuple[str, ...], unknown: frozenset, period: str | None
) -> tuple[pd.DataFrame, int]:
    """Selected and applicant counts as (groups x periods) arrays, in a frame of objects."""
    totals, n_unknown = _groups.group_totals(counts, (*columns, PERIOD_KEY), unknown)
    groups = sorted({key[:-1] for key in totals.index}, key=_groups.sort_key)
    periods = sorted({key[-1] for key in totals.index}, key=lambda v: _groups.sort_key((v,)))
    g_at = {g: i for i, g in enumerate(groups)}
    p_at = {p: i for i, p in enumerate(periods)}
    n = np.zeros((len(groups), len(periods)), dtype=np.int64)
    sel = np.zeros_like(n)
    for key, count, chosen in zip(totals.index, totals["n"], totals["selected"]):
        n[g_at[key[:-1]], p_at[key[-1]]] = count
        sel[g_at[key[:-1]], p_at[key[-1]]] = chosen
    frame = pd.DataFrame(
        {"n": list(n), "selected": list(sel)},
        index=pd.Index(groups, tupleize_cols=False, dtype=object),
    )
    frame.attrs["periods"] = [_period_label(p, period) for p in periods]
    return frame, n_unknown


def _look(
    name: str,
    grid: pd.DataFrame,
    ref: int | None,
    *,
    level: float,
    rho: float,
    change: tuple[float, float] | None,
    window: int,
) -> pd.DataFrame:
    """Every group's rates, ratios, sequences and change windows at every look of one attribute."""
    n = np.vstack(grid["n"].to_list())
    sel = np.vstack(grid["selected"].to_list())
    cum_n, cum_sel = n.cumsum(axis=1), sel.cumsum(axis=1)
    k, t = n.shape
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = sel / n
        cum_rate = cum_sel / cum_n
    if ref is None:
        # The highest cumulative rate at each look (ties: the first label).
        ranked = np.where(cum_n > 0, cum_rate, -1.0)
        refs = ranked.argmax(axis=0)
    else:
        refs = np.full(t, ref)
    cols = np.arange(t)
    ref_n, ref_sel = cum_n[refs, cols], cum_sel[refs, cols]
    ref_rate = rate[refs, cols]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = rate / ref_rate
        cum_ratio = cum_rate / (ref_sel / ref_n)
    is_ref = np.arange(k)[:, None] == refs[None, :]
    empty = (cum_n == 0) | (ref_n == 0)[None, :]
    # A group not seen yet has no sequence; stand-in counts keep the arithmetic defined.
    _, low, high = log_ratio_sequence(
        np.where(empty, 0, cum_sel),
        np.where(empty, 1, cum_n),
        np.where(empty, 0, np.broadcast_to(ref_sel, (k, t))),
        np.where(empty, 1, np.broadcast_to(ref_n, (k, t))),
        alpha=level,
        rho=rho,
    )
    low = np.where(is_ref | empty, np.nan, np.exp(low))
    high = np.where(is_ref | empty, np.nan, np.exp(high))
    recent = trailing_window(n, sel, ref, window)
    periods = grid.attrs["periods"]
    if change is None:
        restart = {
            "since": np.full((k, t), -1),
            "ratio": np.full((k, t), np.nan),
            "high": np.full((k, t), np.nan),
        }
    else:
        restart = change_sequences(n, sel, ref, level=change[0], slopes=change[1])
    since = np.array(
        [[periods[i] if i >= 0 else None for i in row] for row in restart["since"]], dtype=object
    )
    change_high = restart["high"]
    return pd.DataFrame(
        {
            "attribute": name,
            "group": pd.Series(
                [_groups.label(g) for g in grid.index for _ in range(t)], dtype=object
            ),
            "period": [p for _ in range(k) for p in periods],
            "n": n.ravel(),
            "selected": sel.ravel(),
            "rate": rate.ravel(),
            "impact_ratio": ratio.ravel(),
            "cum_n": cum_n.ravel(),
            "cum_selected": cum_sel.ravel(),
            "cum_rate": cum_rate.ravel(),
            "cum_impact_ratio": np.where(is_ref, 1.0, cum_ratio).ravel(),
            "cs_low": low.ravel(),
            "cs_high": high.ravel(),
            "is_reference": is_ref.ravel(),
            "win_n": recent["n"].ravel(),
            "win_rate": recent["rate"].ravel(),
            "win_impact_ratio": recent["ratio"].ravel(),
            "change_since": pd.Series(since.ravel(), dtype=object),
            "change_impact_ratio": restart["ratio"].ravel(),
            "change_cs_high": change_high.ravel(),
            "alert_four_fifths": (np.nan_to_num(high, nan=np.inf) < FOUR_FIFTHS).ravel(),
            "alert_any": (np.nan_to_num(high, nan=np.inf) < 1.0).ravel(),
            "alert_change_four_fifths": (
                np.nan_to_num(change_high, nan=np.inf) < FOUR_FIFTHS
            ).ravel(),
            "alert_change_any": (np.nan_to_num(change_high, nan=np.inf) < 1.0).ravel(),
        }
    )


#: The alerts, as (alert, detector, table column of the flag, of the ratio, of the upper end).
_ALERT_SOURCES = (
    ("below_four_fifths", "cumulative", "alert_four_fifths", "cum_impact_ratio", "cs_high"),
    (
        "below_four_fifths",
        "change",
        "alert_change_four_fifths",
        "change_impact_ratio",
        "change_cs_high",
    ),
    ("below_one", "cumulative", "alert_any", "cum_impact_ratio", "cs_high"),
    ("below_one", "change", "alert_change_any", "change_impact_ratio", "change_cs_high"),
)
ALERT_COLUMNS = [
    "attribute",
    "group",
    "alert",
    "detector",
    "first_period",
    "since",
    "ratio_at_alert",
    "cs_high",
    "ratio_now",
    "window_ratio_now",
    "still_alerting",
]


def _alerts(table: pd.DataFrame) -> pd.DataFrame:
    """One row per (attribute, group, alert, detector) that fired, with the ratio now."""
    rows = []
    for (attribute, group), part in table.groupby(["attribute", "group"], sort=False):
        last = part.iloc[-1]
        for alert, detector, flag, ratio, upper in _ALERT_SOURCES:
            fired = part[part[flag]]
            if fired.empty:
                continue
            first = fired.iloc[0]
            rows.append(
                {
                    "attribute": attribute,
                    "group": group,
                    "alert": alert,
                    "detector": detector,
                    "first_period": first["period"],
                    "since": part["period"].iloc[0]
                    if detector == "cumulative"
                    else first["change_since"],
                    "ratio_at_alert": float(first[ratio]),
                    "cs_high": float(first[upper]),
                    "ratio_now": float(last["cum_impact_ratio"]),
                    "window_ratio_now": float(last["win_impact_ratio"]),
                    "still_alerting": bool(last[flag]),
                }
            )
    return pd.DataFrame(rows, columns=ALERT_COLUMNS)
