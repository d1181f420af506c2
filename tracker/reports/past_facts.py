"""The facts of a few enterprises as they stood at a past moment: what a change's "before" is computed from.

A result is rewritten in place when its inputs change, so the report cannot read the previous result's
values back; it recomputes them from the facts as they were. The metrics, the enterprise rows and the
designations keep their history (django-simple-history: a snapshot per save, import and delete), so the
state of a row at a moment is its last snapshot taken by then. A row with no snapshot by then:

* whose first snapshot after is its creation ("+") did not exist yet;
* whose first snapshot after is its deletion ("-") stood as that snapshot shows it;
* otherwise it was written around the history (the demo's and the benchmarks' COPY) and its state
  before its first recorded change is not known: the row as it is now stands in for it.

Read set-based for the listed enterprises (each table's snapshots and rows in one query), then placed
into the engine's fact tables the way the pipeline's loader does. Cluster memberships and regions have
no history: they are taken as they are now, and a member's revenue rank compares its past revenue with
the other members' revenues of now.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import numpy as np
from django.db import connection

from tracker.models import AnnualMetrics, Designation, Enterprise
from tracker.models.designations import is_held
from tracker.pipeline.cluster_ranks import RevenueRanks
from tracker.pipeline.columns import ENTERPRISE_ATTRIBUTES, METRICS, encoded
from tracker.pipeline.facts_loader import (
    ChunkFacts,
    Slice,
    assemble,
    fiscal_years,
    held_from_titles,
    load_profiles,
)
from tracker.pipeline.fetch import fetch_columns

CREATED, CHANGED, DELETED = 0, 1, 2
_TYPE_CODES = "CASE x.history_type WHEN '+' THEN 0 WHEN '~' THEN 1 ELSE 2 END"


def facts_at(
    *, enterprise_ids, moment: dt.datetime, as_of: dt.date, fiscal_year: int, per_cluster: frozenset[str],
    ranks: RevenueRanks,
) -> ChunkFacts:
    """The engine's facts of ``enterprise_ids`` as saved at ``moment``, evaluated for ``as_of`` and
    ``fiscal_year`` (the designations held on ``as_of`` by their state at ``moment``)."""
    ids = sorted({int(i) for i in enterprise_ids})
    part = Slice(ids[0], ids[-1], tuple(ids))
    profiles = load_profiles(part=part, as_of=as_of, per_cluster=per_cluster)
    rows = profiles.enterprise_ids
    enterprises = _state_at(Enterprise, part, moment, "id",
                            [(f.name, encoded(f, f"x.{f.name}", connection.vendor)) for f in ENTERPRISE_ATTRIBUTES])
    found = np.isin(enterprises["key"], rows)
    at = np.searchsorted(rows, enterprises["key"][found])
    for f in ENTERPRISE_ATTRIBUTES:
        column = np.array(profiles.attributes[f.name], dtype=np.float64)  # a copy: the loader's may be read-only
        column[at] = enterprises[f.name][found]
        profiles.attributes[f.name] = column
    profiles.held, profiles.member_held = held_from_titles(
        _titles_at(ids, moment, as_of), rows, per_cluster,
        rows[profiles.member_rows], profiles.member_cluster_ids,
    )
    return assemble(profiles, metrics=_metrics_at(part, rows, moment, fiscal_year), fiscal_year=fiscal_year,
                    cluster_ranks=ranks)


def _metrics_at(part: Slice, rows: np.ndarray, moment: dt.datetime, fiscal_year: int) -> dict:
    years = fiscal_years(fiscal_year)
    vendor = connection.vendor
    data = _state_at(
        AnnualMetrics, part, moment, "enterprise_id",
        [("fiscal_year", "x.fiscal_year"), *[(f.name, encoded(f, f"x.{f.name}", vendor)) for f in METRICS]],
        where=("x.fiscal_year BETWEEN %s AND %s", [years[0], years[-1]]),
    )
    keep = np.isin(data["key"], rows)
    at = np.searchsorted(rows, data["key"][keep])
    year_of = data["fiscal_year"][keep]
    out: dict[str, dict[int, np.ndarray]] = {f.name: {} for f in METRICS}
    for year in years:
        mask = year_of == year
        for f in METRICS:
            column = np.full(len(rows), np.nan)
            column[at[mask]] = data[f.name][keep][mask]
            out[f.name][year] = column
    return out


def _state_at(model, part: Slice, moment: dt.datetime, key: str, columns: list[tuple[str, str]],
              where: tuple[str, list] = ("", [])) -> dict[str, np.ndarray]:
    """Each row's columns as they stood at ``moment`` (see the module's rules), as arrays with the
    row's ``key`` (its enterprise). Two queries: the snapshots, in order, and the rows of now."""
    extra, extra_params = (f" AND {where[0]}", where[1]) if where[0] else ("", [])
    condition, params = part.where(f"x.{key}")
    select = ", ".join(sql for _name, sql in columns)
    names = [(name, "float8") for name, _sql in columns]
    history = fetch_columns(
        f"SELECT x.id, CAST(x.{key} AS BIGINT), CASE WHEN x.history_date <= %s THEN 1 ELSE 0 END, {_TYPE_CODES}, "
        f"{select} FROM {model.history.model._meta.db_table} x WHERE {condition}{extra} "
        f"ORDER BY x.id, x.history_date, x.history_id",
        [moment, *params, *extra_params],
        [("id", "int8"), ("key", "int8"), ("by_then", "int8"), ("type", "int8"), *names],
    )
    now = fetch_columns(
        f"SELECT x.id, CAST(x.{key} AS BIGINT), {select} FROM {model._meta.db_table} x WHERE {condition}{extra}",
        [*params, *extra_params],
        [("id", "int8"), ("key", "int8"), *names],
    )
    picked_history, picked_now = _pick(history["id"], history["by_then"], history["type"], now["id"])
    return {
        name: np.concatenate([history[name][picked_history], now[name][picked_now]])
        for name in ("key", *[n for n, _kind in names])
    }


def _pick(history_ids, by_then, types, now_ids) -> tuple[np.ndarray, np.ndarray]:
    """Which snapshot (positions in the history, ordered by row and time) or which row of now stands
    for each row at the moment."""
    from_history, decided = [], set()
    last_by_then: dict[int, int] = {}
    first_after: dict[int, int] = {}
    for position, (row, then) in enumerate(zip(history_ids.tolist(), by_then.tolist(), strict=True)):
        if then:
            last_by_then[row] = position
        elif row not in first_after:
            first_after[row] = position
    for row in set(last_by_then) | set(first_after):
        if row in last_by_then:
            position = last_by_then[row]
            decided.add(row)
            if types[position] != DELETED:
                from_history.append(position)
            continue
        position = first_after[row]
        if types[position] == CREATED:
            decided.add(row)  # created after the moment
        elif types[position] == DELETED:
            decided.add(row)
            from_history.append(position)
        # A first change with no creation before it: written around the history; the row of now stands in.
    picked_now = np.array([i for i, row in enumerate(now_ids.tolist()) if row not in decided], dtype=np.int64)
    return np.array(sorted(from_history), dtype=np.int64), picked_now


def _titles_at(ids: list[int], moment: dt.datetime, as_of: dt.date) -> list[tuple]:
    """(enterprise, tier, cluster, granted_on) of the titles held on ``as_of`` by the designations as
    they stood at ``moment`` (the read layer's ``held_titles``, on the past rows)."""
    fields = ("id", "enterprise_id", "tier_id", "cluster_id", "status", "recognized_on", "valid_until")
    history = list(
        Designation.history.filter(enterprise_id__in=ids).order_by("id", "history_date", "history_id")
        .values_list("history_date", "history_type", *fields)
    )
    now = list(Designation.objects.filter(enterprise_id__in=ids).values_list(*fields))
    codes = {"+": CREATED, "~": CHANGED, "-": DELETED}
    picked_history, picked_now = _pick(
        np.array([row[2] for row in history], dtype=np.int64),
        np.array([row[0] <= moment for row in history], dtype=np.int64),
        np.array([codes.get(row[1], DELETED) for row in history], dtype=np.int64),
        np.array([row[0] for row in now], dtype=np.int64),
    )
    rows = [history[p][2:] for p in picked_history.tolist()] + [now[p] for p in picked_now.tolist()]
    granted: dict[tuple, dt.date] = defaultdict(lambda: dt.date.min)
    for _id, enterprise, tier, cluster, status, recognized_on, valid_until in rows:
        if is_held(status=status, recognized_on=recognized_on, valid_until=valid_until, as_of=as_of):
            key = (enterprise, tier, cluster)
            granted[key] = max(granted[key], recognized_on)
    return [(*key, day) for key, day in granted.items()]
