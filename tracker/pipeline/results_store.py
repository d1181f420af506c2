"""Read a chunk's current results and replace the ones whose inputs changed."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
from django.db import connection, transaction

from tracker.models import EligibilityResult, InputDigest, TierChange
from tracker.pipeline.evaluation_plan import Evaluation, TierRows, result_key
from tracker.pipeline.facts_loader import Slice
from tracker.pipeline.fetch import fetch_columns, int8_array, is_postgresql
from tracker.pipeline.pgcopy import copy_in
from tracker.rules import STATUS_NAMES


class ResultsConflict(Exception):
    """Stored results changed between a chunk's read and its write (another run wrote them)."""


STATUS_CODES = {name: code for code, name in enumerate(STATUS_NAMES)}
ELIGIBLE = STATUS_CODES["eligible"]


class CurrentResults:
    """The stored results of a slice for one fiscal year, indexed for vectorised lookups."""

    def __init__(self, *, part: Slice, fiscal_year: int, tier_index: dict[str, int]):
        self.tier_index = tier_index
        table = EligibilityResult._meta.db_table
        where, params = part.where("r.enterprise_id")
        # "WHEN '' THEN -1" keeps the CASE well-formed when no tier exists yet.
        cases = " ".join(f"WHEN '{t}' THEN {i}" for t, i in tier_index.items()) or "WHEN '' THEN -1"
        status_cases = " ".join(f"WHEN '{s}' THEN {c}" for s, c in STATUS_CODES.items())
        sql = (
            f"SELECT r.id, r.enterprise_id, CASE r.tier_id {cases} ELSE -1 END, COALESCE(r.cluster_id, 0), "
            f"r.input_hash, CASE r.status {status_cases} ELSE -1 END FROM {table} r "
            f"WHERE {where} AND r.fiscal_year = %s"
        )
        data = fetch_columns(
            sql,
            [*params, fiscal_year],
            [("id", "int8"), ("enterprise_id", "int8"), ("tier", "int8"), ("cluster_id", "int8"),
             ("input_hash", "int8"), ("status", "int8")],
        )
        keys = result_key(data["tier"], data["enterprise_id"], data["cluster_id"])
        order = np.argsort(keys, kind="stable")
        self.keys = keys[order]
        self.ids = data["id"][order]
        self.hashes = data["input_hash"][order]
        self.status = data["status"][order]
        self.enterprise_ids = data["enterprise_id"][order]
        self.cluster_ids = data["cluster_id"][order]
        self.tiers = data["tier"][order]

    def _locate(self, tier: str, enterprise_ids: np.ndarray, cluster_ids: np.ndarray):
        keys = result_key(self.tier_index[tier], enterprise_ids, cluster_ids)
        pos = np.searchsorted(self.keys, keys)
        pos_clipped = np.minimum(pos, max(len(self.keys) - 1, 0))
        found = (pos < len(self.keys)) & (self.keys[pos_clipped] == keys) if len(self.keys) else np.zeros(
            len(keys), dtype=bool
        )
        return found, pos_clipped

    def hash_of(self, tier: str, enterprise_ids: np.ndarray, cluster_ids: np.ndarray) -> np.ndarray:
        """The stored input hash per row, or a value no real hash takes when there is no result."""
        found, pos = self._locate(tier, enterprise_ids, cluster_ids)
        if not len(self.keys):
            return np.full(len(enterprise_ids), np.iinfo(np.int64).min)
        return np.where(found, self.hashes[pos], np.iinfo(np.int64).min)

    def without(self, expected_keys: np.ndarray, tiers: list[str]) -> np.ndarray:
        """Positions of the stored results of ``tiers`` whose key is not among ``expected_keys``."""
        of_tiers = np.isin(self.keys % 16, [self.tier_index[t] for t in tiers])
        unexpected = ~np.isin(self.keys, expected_keys, assume_unique=False)
        return np.flatnonzero(of_tiers & unexpected)

    def previous(self, tier: str, enterprise_ids: np.ndarray, cluster_ids: np.ndarray):
        """(found, result id, status code) per row."""
        found, pos = self._locate(tier, enterprise_ids, cluster_ids)
        if not len(self.keys):
            empty = np.zeros(len(enterprise_ids), dtype=np.int64)
            return found, empty, empty - 1
        return found, np.where(found, self.ids[pos], 0), np.where(found, self.status[pos], -1)


def replace_results(
    *,
    current: CurrentResults,
    new: Evaluation,
    tiers: list[str],
    fiscal_year: int,
    run_id: int | None,
    now: dt.datetime,
) -> tuple[int, int]:
    """Write the changed results and their TierChange events, and delete the results of ``tiers``
    that have no row any more (the membership ended, no ruleset is in force); returns (results
    written or deleted, TierChange events: status flips and eligible results removed).

    Must run inside the chunk's transaction. A result that already has a row is rewritten in that
    row (``_update``): on PostgreSQL a rewrite that changes no indexed column stays on its page, which
    the table's fill factor keeps room on (HOT), and touches none of the five indexes, where a delete
    and an insert would add an entry to each. Results without a row are inserted; on SQLite (the
    quickstart) the found ones are deleted and inserted again.
    """
    gone = current.without(new.expected_keys, tiers)
    changed, events = [], _removal_events(current, gone, fiscal_year, run_id)
    for rows in new.rows:
        found, old_id, old_status = current.previous(rows.tier, rows.enterprise_ids, rows.cluster_ids)
        stored_hash = current.hash_of(rows.tier, rows.enterprise_ids, rows.cluster_ids)
        differs = ~found | (stored_hash != rows.input_hashes)
        if not differs.any():
            continue
        changed.append(_Changed(rows, np.flatnonzero(differs), old_id, stored_hash))
        flipped = found & differs & ((old_status == ELIGIBLE) != (rows.status == ELIGIBLE))
        for i in np.flatnonzero(flipped):
            events.append(
                TierChange(
                    enterprise_id=int(rows.enterprise_ids[i]),
                    tier_id=rows.tier,
                    fiscal_year=fiscal_year,
                    cluster_id=int(rows.cluster_ids[i]) or None,
                    change=TierChange.Change.GAINED if rows.status[i] == ELIGIBLE else TierChange.Change.LOST,
                    from_status=STATUS_NAMES[int(old_status[i])],
                    to_status=STATUS_NAMES[int(rows.status[i])],
                    run_id=run_id,
                )
            )
    table_rows = _result_rows(changed, current.tier_index)
    stored = table_rows["id"] != 0  # the result has a row (its id); 0: a result new to the table
    in_place = is_postgresql()
    stale = current.ids[gone] if in_place else np.concatenate([current.ids[gone], table_rows["id"][stored]])
    if stale.size:
        _delete(stale)
    stamp = {"tier_codes": sorted(current.tier_index, key=current.tier_index.get), "fiscal_year": fiscal_year,
             "run_id": run_id, "now": now}
    if in_place:
        count = _update(_take(table_rows, stored), **stamp) + _insert(_take(table_rows, ~stored), **stamp)
    else:
        count = _insert(table_rows, **stamp)
    if events:
        TierChange.objects.bulk_create(events, batch_size=2000)
    return count + len(gone), len(events)


def _removal_events(current: CurrentResults, gone: np.ndarray, fiscal_year: int, run_id: int | None) -> list:
    """A result removed because its row is gone (the membership ended, no ruleset is in force any
    more) was eligible: the enterprise lost the tier, and the change feed must say so. There is no
    new status: ``to_status`` stays empty."""
    codes = {index: tier for tier, index in current.tier_index.items()}
    return [
        TierChange(
            enterprise_id=int(current.enterprise_ids[p]),
            tier_id=codes[int(current.tiers[p])],
            fiscal_year=fiscal_year,
            cluster_id=int(current.cluster_ids[p]) or None,
            change=TierChange.Change.LOST,
            from_status=STATUS_NAMES[ELIGIBLE],
            to_status="",
            run_id=run_id,
        )
        for p in gone[current.status[gone] == ELIGIBLE]
    ]


class _Changed(NamedTuple):
    """The rows of one tier whose result changed: their positions in ``rows``, and per row of
    ``rows`` the stored result's id (0 when there is none) and the input hash it was stored with."""

    rows: TierRows
    positions: np.ndarray
    stored_ids: np.ndarray
    stored_hashes: np.ndarray


def _result_rows(changed: list[_Changed], tier_index: dict[str, int]) -> dict[str, np.ndarray]:
    """The changed rows of every tier as one set of columns, sorted by enterprise: each enterprise's
    results are written next to each other, so rewriting one enterprise later touches one heap page
    and one index leaf rather than one per tier. ``id`` and ``stored_hash`` say which stored row a
    result replaces (0 and any value when none)."""
    if not changed:
        return {name: np.empty(0, dtype=np.int64) for name in ("id", "stored_hash", "enterprise_id")}
    width = max(max(rows.failed_bits.shape[1], rows.unknown_bits.shape[1]) for rows, *_ in changed)

    def column(get) -> np.ndarray:
        return np.concatenate([get(c.rows)[c.positions] for c in changed])

    def bits(get) -> np.ndarray:
        padded = [np.pad(get(c.rows)[c.positions], ((0, 0), (0, width - get(c.rows).shape[1]))) for c in changed]
        return np.concatenate(padded)

    data = {
        "id": np.concatenate([c.stored_ids[c.positions] for c in changed]),
        "stored_hash": np.concatenate([c.stored_hashes[c.positions] for c in changed]),
        "enterprise_id": column(lambda r: r.enterprise_ids),
        "tier_index": np.concatenate([np.full(len(c.positions), tier_index[c.rows.tier]) for c in changed]),
        "cluster_id": column(lambda r: r.cluster_ids),
        "status": column(lambda r: r.status).astype(np.int64),
        "score": column(lambda r: r.score),
        "failing_count": column(lambda r: r.failing_count).astype(np.int16),
        "shortfall": column(lambda r: r.shortfall),
        "near_miss": column(lambda r: r.near_miss),
        "ruleset_id": column(lambda r: r.ruleset_pks),
        "failed_nodes": bits(lambda r: r.failed_bits),
        "unknown_nodes": bits(lambda r: r.unknown_bits),
        "failed_length": np.concatenate([np.full(len(c.positions), c.rows.failed_bits.shape[1]) for c in changed]),
        "unknown_length": np.concatenate([np.full(len(c.positions), c.rows.unknown_bits.shape[1]) for c in changed]),
        "input_hash": column(lambda r: r.input_hashes),
    }
    order = np.lexsort((data["cluster_id"], data["tier_index"], data["enterprise_id"]))
    return {name: values[order] for name, values in data.items()}


def _delete(ids: np.ndarray) -> None:
    table = EligibilityResult._meta.db_table
    with connection.cursor() as cursor:
        if is_postgresql():
            cursor.execute(f"DELETE FROM {table} WHERE id = ANY(%s::int8[])", [int8_array(ids)])
        else:
            for start in range(0, len(ids), 500):
                part = ids[start : start + 500].tolist()
                cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(part))})", part)


RESULT_COLUMNS = [
    ("enterprise_id", "int8"), ("tier_id", "text"), ("fiscal_year", "int2"), ("cluster_id", "int8_or_null"),
    ("status", "text"), ("score", "float8"), ("failing_count", "int2"), ("shortfall", "float8"),
    ("near_miss", "bool"), ("ruleset_id", "int8"), ("failed_nodes", "bytea"), ("unknown_nodes", "bytea"),
    ("input_hash", "int8"), ("run_id", "int8_or_null"), ("evaluated_at", "timestamptz"),
]


# What identifies a result: a rewrite in place leaves these columns as they are.
RESULT_KEY = ("enterprise_id", "tier_id", "fiscal_year", "cluster_id")
REWRITES = "tidu_result_rewrites"  # the transaction's staging table of the rows rewritten in place


def _take(rows: dict[str, np.ndarray], which: np.ndarray) -> dict[str, np.ndarray]:
    return {name: values[which] for name, values in rows.items()}


def _copy_columns(
    rows: dict[str, np.ndarray], *, tier_codes: list[str], fiscal_year: int, run_id: int | None, now: dt.datetime
) -> dict:
    """The rows of ``_result_rows`` as ``copy_in`` takes them (tiers and statuses as codes into
    ``tier_codes`` and STATUS_NAMES)."""
    n = len(rows["enterprise_id"])
    cluster = rows["cluster_id"].astype(np.float64)
    return {
        **rows,
        "tier_id": (rows["tier_index"], tier_codes),
        "status": (rows["status"], STATUS_NAMES),
        "fiscal_year": np.full(n, fiscal_year, dtype=np.int16),
        # Nullable ids travel as floats with NaN for NULL (ids stay far below 2**53).
        "cluster_id": np.where(cluster == 0, np.nan, cluster),
        "failed_nodes": (rows["failed_nodes"], rows["failed_length"]),
        "unknown_nodes": (rows["unknown_nodes"], rows["unknown_length"]),
        "run_id": np.full(n, np.nan if run_id is None else float(run_id)),
        "evaluated_at": np.full(n, int(now.timestamp() * 1_000_000), dtype=np.int64),
    }


def _update(rows: dict[str, np.ndarray], **stamp) -> int:
    """Rewrite stored results in their rows (PostgreSQL): the new values are copied into a temporary
    table, then one ``UPDATE … FROM`` sets every column but the key. The stored rows are found by
    their ids as an array (an index scan of the primary key whatever the planner guesses of the
    unanalysed temporary table), and a column set to the value it had does not count as changed, so
    a result whose status, gap and near-miss flag stay as they were is rewritten without touching an
    index, when its page has room (HOT).

    A row is rewritten only if it still holds the input hash the chunk read: another run that
    rewrote or removed it since (a save's run beside the nightly) makes this chunk's view stale, and
    ``ResultsConflict`` has the chunk read again, as a unique violation does for an inserted row."""
    n = len(rows["id"])
    if not n:
        return 0
    table = EligibilityResult._meta.db_table
    assignments = ", ".join(f"{name} = s.{name}" for name, _ in RESULT_COLUMNS if name not in RESULT_KEY)
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        # It lives as long as the chunk's transaction (so it always has the table's current columns);
        # emptied first, as a chunk may write several years in that transaction.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {REWRITES} (LIKE {table}, stored_hash bigint) ON COMMIT DROP"
        )
        cursor.execute(f"TRUNCATE {REWRITES}")
        columns = [("id", "int8"), *RESULT_COLUMNS, ("stored_hash", "int8")]
        copy_in(cursor, REWRITES, columns, _copy_columns(rows, **stamp), n)
        cursor.execute(
            f"UPDATE {table} r SET {assignments} FROM {REWRITES} s "
            f"WHERE r.id = ANY(%s::int8[]) AND r.id = s.id AND r.input_hash = s.stored_hash",
            [int8_array(rows["id"])],
        )
        if cursor.rowcount != n:
            raise ResultsConflict(f"{n - cursor.rowcount} of {n} stored results were rewritten or removed meanwhile")
    return n


def _insert(
    rows: dict[str, np.ndarray], *, tier_codes: list[str], fiscal_year: int, run_id: int | None, now: dt.datetime
) -> int:
    """Insert the rows of ``_result_rows`` (tiers and statuses as codes into ``tier_codes`` and
    STATUS_NAMES)."""
    n = len(rows["enterprise_id"])
    if not n:
        return 0
    if is_postgresql():
        data = _copy_columns(rows, tier_codes=tier_codes, fiscal_year=fiscal_year, run_id=run_id, now=now)
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            copy_in(cursor, EligibilityResult._meta.db_table, RESULT_COLUMNS, data, n)
        return n
    objects = [
        EligibilityResult(
            enterprise_id=int(rows["enterprise_id"][i]),
            tier_id=tier_codes[rows["tier_index"][i]],
            fiscal_year=fiscal_year,
            cluster_id=int(rows["cluster_id"][i]) or None,
            status=STATUS_NAMES[rows["status"][i]],
            score=None if np.isnan(rows["score"][i]) else float(rows["score"][i]),
            failing_count=int(rows["failing_count"][i]),
            shortfall=None if np.isnan(rows["shortfall"][i]) else float(rows["shortfall"][i]),
            near_miss=bool(rows["near_miss"][i]),
            ruleset_id=int(rows["ruleset_id"][i]),
            failed_nodes=rows["failed_nodes"][i, : rows["failed_length"][i]].tobytes(),
            unknown_nodes=rows["unknown_nodes"][i, : rows["unknown_length"][i]].tobytes(),
            input_hash=int(rows["input_hash"][i]),
            run_id=run_id,
            evaluated_at=now,
        )
        for i in range(n)
    ]
    EligibilityResult.objects.bulk_create(objects, batch_size=500)
    return n


def results_forget(*, fiscal_year: int | None = None) -> int:
    """Delete stored results (of one fiscal year, or all) together with the input digests that vouch
    for them, so that the next full run evaluates those enterprises again. Returns results deleted."""
    results = EligibilityResult.objects.all()
    digests = InputDigest.objects.all()
    if fiscal_year is None and is_postgresql():
        return _truncate_all()
    if fiscal_year is not None:
        results, digests = results.filter(fiscal_year=fiscal_year), digests.filter(fiscal_year=fiscal_year)
    with transaction.atomic():
        digests.delete()  # neither model has dependants or signals: one DELETE statement each
        return results.delete()[0]


def _truncate_all() -> int:
    """Every result and digest gone at once. A DELETE of millions of rows would leave them dead in the
    table until vacuum, and the rebuild that follows would read past them: its check that the table is
    empty (tracker/pipeline/result_indexes.py), every chunk's read of its stored results. TRUNCATE
    waits for the queries reading the tables to finish, and leaves them empty and small."""
    tables = [EligibilityResult._meta.db_table, InputDigest._meta.db_table]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {tables[0]}")
        count = cursor.fetchone()[0]
        cursor.execute(f"TRUNCATE {', '.join(tables)}")
    return count


def results_withdraw(*, enterprise_ids: list[int]) -> int:
    """Delete the stored results and input digests of enterprises taken out of the register (archived),
    recording a "lost" TierChange (no new status) for each eligible one, as when a result's row is gone.
    Runs skip archived enterprises (``Slice.registered``); a restored one has no digest, so the next run
    evaluates it again. Returns the results deleted. Runs inside the caller's transaction."""
    results = EligibilityResult.objects.filter(enterprise_id__in=enterprise_ids)
    eligible = results.filter(status=STATUS_NAMES[ELIGIBLE]).values_list(
        "enterprise_id", "tier_id", "fiscal_year", "cluster_id"
    )
    TierChange.objects.bulk_create(
        [
            TierChange(
                enterprise_id=enterprise_id,
                tier_id=tier_id,
                fiscal_year=fiscal_year,
                cluster_id=cluster_id,
                change=TierChange.Change.LOST,
                from_status=STATUS_NAMES[ELIGIBLE],
                to_status="",
            )
            for enterprise_id, tier_id, fiscal_year, cluster_id in eligible
        ]
    )
    InputDigest.objects.filter(enterprise_id__in=enterprise_ids).delete()
    return results.delete()[0]
