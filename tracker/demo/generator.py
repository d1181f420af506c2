"""Demo data: N plausible Jiangsu enterprises with memberships, annual metrics and designations."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from queue import Queue

import numpy as np
from django.db import connection, models, transaction
from django.utils import timezone

from tracker.demo import writer
from tracker.demo.distributions import CITY_WEIGHTS, DemoBatch, DemoContext, generate_batch
from tracker.demo.identifiers import DEMO_MARKER, serial_of
from tracker.models import (
    AnnualMetrics,
    ChainSegment,
    Cluster,
    ClusterMembership,
    Designation,
    Enterprise,
    MemberRevenue,
    Region,
    Tier,
)
from tracker.models.member_revenue import ENTERPRISE_RANGE_ROWS, bulk_insert_triggers

BATCH_SIZE = 50_000  # enterprises per generated batch; part of what a seed reproduces
# From this many enterprises on, PostgreSQL loads run with the foreign keys dropped and re-validated once.
BULK_LOAD_THRESHOLD = 50_000
LAST_FISCAL_YEAR = 2025
REQUIRED_TIERS = ("innovative_sme", "specialized_sme", "little_giant", "chain_leader")


class DemoError(Exception):
    """The demo cannot be generated (for example, the reference data is not loaded)."""


def demo_generate(
    *,
    enterprises: int,
    seed: int,
    years: int = 5,
    last_fiscal_year: int = LAST_FISCAL_YEAR,
    replace: bool = False,
    reference_date: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Write ``enterprises`` demo enterprises with their metrics for ``years`` fiscal years.

    The same seed on an empty (or replaced) demo set gives the same names, USCCs and metrics (and, for
    the same ``reference_date``, the same designations). Without
    ``replace`` the new enterprises are appended with fresh serials, hence fresh USCCs and names.
    Returns row counts per table and the elapsed seconds.
    """
    if enterprises < 0 or years < 1:
        raise DemoError("--enterprises must be ≥ 0 and --years ≥ 1")
    started = time.perf_counter()
    ctx = demo_context(years=years, last_fiscal_year=last_fiscal_year, reference_date=reference_date)
    rng = np.random.default_rng(seed)
    now = timezone.now()
    counts = {"enterprises": 0, "memberships": 0, "metrics": 0, "designations": 0, "deleted_enterprises": 0}
    bulk = writer.uses_copy() and (replace or enterprises >= BULK_LOAD_THRESHOLD)
    with transaction.atomic(), writer.foreign_keys_dropped(_enterprise_tables()) if bulk else contextlib.nullcontext():
        if replace:
            counts["deleted_enterprises"] = demo_delete()
        first_serial = next_demo_serial()
        batches = _batches(ctx, rng, first_serial, enterprises)
        if writer.uses_copy():
            _write_copy(batches, enterprises, now, counts, progress, started, bulk=bulk)
        else:
            for batch in batches:
                for key, value in writer.write_orm(batch, now=now).items():
                    counts[key] += value
                _report(progress, counts, enterprises, started)
    if writer.uses_copy():
        _analyze()
    counts["seconds"] = round(time.perf_counter() - started, 2)
    return counts


def _batches(ctx, rng, first_serial: int, enterprises: int) -> Iterator[DemoBatch]:
    for start in range(0, enterprises, BATCH_SIZE):
        size = min(BATCH_SIZE, enterprises - start)
        yield generate_batch(ctx, rng, np.arange(first_serial + start, first_serial + start + size))


def _write_copy(batches, enterprises, now, counts, progress, started, *, bulk: bool) -> None:
    """COPY batch k while a thread generates batch k+1: the server parses, Python builds the next text.

    The thread never touches the database; ids are taken from the sequence up front. A bulk load fills
    the member revenues (``MemberRevenue``) once at the end instead of by trigger per batch.
    """
    ids = writer.allocate_enterprise_ids(enterprises)
    if bulk:
        with connection.cursor() as cursor:
            for statement in bulk_insert_triggers(enabled=False):
                cursor.execute(statement)
    queue: Queue = Queue(maxsize=2)

    def produce():
        try:
            offset = 0
            for batch in batches:
                n = len(batch.enterprises)
                queue.put(writer.copy_payloads(batch, ids[offset : offset + n], now=now))
                offset += n
            queue.put(None)
        except BaseException as exc:  # handed to the main thread, which re-raises it
            queue.put(exc)

    producer = threading.Thread(target=produce, name="demo-generator", daemon=True)
    producer.start()
    while (payloads := queue.get()) is not None:
        if isinstance(payloads, BaseException):
            raise payloads
        for key, sql, data, rows in payloads:
            writer.copy_send(sql, data)
            counts[key] += rows
        _report(progress, counts, enterprises, started)
    producer.join()
    if bulk:
        with connection.cursor() as cursor:
            if ids.size:
                cursor.execute(ENTERPRISE_RANGE_ROWS, [int(ids.min()), int(ids.max())])
            for statement in bulk_insert_triggers(enabled=True):
                cursor.execute(statement)


def _report(progress, counts, enterprises, started) -> None:
    if progress:
        progress(f"{counts['enterprises']:,} / {enterprises:,} enterprises ({time.perf_counter() - started:.1f} s)")


def demo_context(*, years: int, last_fiscal_year: int, reference_date: dt.date | None = None) -> DemoContext:
    """The reference data the generator draws from; fails clearly when bootstrap has not run. Designations
    are dated around ``reference_date`` (today by default): held, due for 复核 or recently expired then."""
    cities = list(
        Region.objects.filter(level=Region.Level.PREFECTURE, code__startswith="32")
        .order_by("code")
        .values_list("id", "code", "name")
    )
    clusters = list(Cluster.objects.order_by("code").values_list("id", "code"))
    tiers = dict(Tier.objects.values_list("code", "validity_years"))
    if not cities or not clusters or any(code not in tiers for code in REQUIRED_TIERS):
        raise DemoError(
            "Reference data is missing (regions, clusters or tiers): run `python manage.py bootstrap` first."
        )
    segments: dict[int, list[tuple[int, str]]] = {}
    for segment_id, cluster_id, name in ChainSegment.objects.order_by(
        "cluster_id", "position", "sort_order", "id"
    ).values_list("id", "cluster_id", "name"):
        segments.setdefault(cluster_id, []).append((segment_id, name))
    counties: dict[int, list[tuple[int, str]]] = {}
    for county_id, code, parent_id in (
        Region.objects.filter(level=Region.Level.COUNTY, parent_id__in=[c[0] for c in cities], retired_in__isnull=True)
        .order_by("code")
        .values_list("id", "code", "parent_id")
    ):
        counties.setdefault(parent_id, []).append((county_id, code))
    weights = np.array([CITY_WEIGHTS.get(code, 3) for _, code, _ in cities], dtype=float)
    return DemoContext(
        region_ids=np.array([c[0] for c in cities], dtype=np.int64),
        region_codes=np.array([c[1] for c in cities]),
        city_names=np.array([c[2].removesuffix("市") for c in cities], dtype=object),
        region_p=weights / weights.sum(),
        cluster_ids=np.array([c[0] for c in clusters], dtype=np.int64),
        cluster_codes=[c[1] for c in clusters],
        segment_ids=[np.array([s for s, _ in segments.get(c[0], [])], dtype=np.int64) for c in clusters],
        segment_names=[np.array([n for _, n in segments.get(c[0], [])], dtype=object) for c in clusters],
        tier_validity=tiers,
        years=np.arange(last_fiscal_year - years + 1, last_fiscal_year + 1),
        reference_date=reference_date or timezone.localdate(),
        county_ids=[np.array([i for i, _ in counties.get(c[0], [])], dtype=np.int64) for c in cities],
        county_codes=[np.array([code for _, code in counties.get(c[0], [])]) for c in cities],
    )


def _enterprise_tables() -> list[type[models.Model]]:
    """Enterprise and the tables whose rows cascade from it: what a demo load or delete touches."""
    related = [
        r.related_model
        for r in Enterprise._meta.related_objects
        if r.on_delete is models.CASCADE and r.related_model._meta.managed
    ]
    return [Enterprise, *related]


def _demo_enterprises() -> models.QuerySet:
    # Positions 9–10 of a demo USCC carry the demo marker (tracker/demo/identifiers.py).
    return Enterprise.objects.annotate(marker=models.functions.Substr("uscc", 9, 2)).filter(marker=DEMO_MARKER)


def next_demo_serial() -> int:
    """One past the largest serial among existing demo enterprises (0 when there are none)."""
    # The serial's base-31 digits sort like the numbers they encode, so MAX on the text is enough.
    codes = _demo_enterprises().annotate(serial=models.functions.Substr("uscc", 11, 6)).order_by("-serial")
    top = codes.values_list("uscc", flat=True).first()
    return serial_of(top) + 1 if top else 0


def demo_delete() -> int:
    """Delete demo enterprises and every row that cascades from them, set-based (no per-row signals)."""
    demo_ids = _demo_enterprises().values("id")
    count = demo_ids.count()
    if not count:
        return 0
    for relation in Enterprise._meta.related_objects:
        if relation.on_delete is models.CASCADE and relation.related_model._meta.managed:
            rows = relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": demo_ids})
            rows._raw_delete(connection.alias)
    _demo_enterprises()._raw_delete(connection.alias)
    return count


def _analyze() -> None:
    """Statistics for what was loaded. ``MemberRevenue`` and the metrics are also vacuumed when they
    can be (outside a transaction): an edit's revenue rank counts a range of the one's index, and a
    nightly run combines the metrics' row hashes from the other's, and both read the index alone only
    once vacuum has marked the pages all-visible. Without it, at 10M a chain leader's explanation
    counted through 380,000 heap pages (32 s) until autovacuum, busy with the larger tables, got to
    it; and the first nightly would read the 22.6 GB of metrics it exists not to read."""
    verb = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
    with connection.cursor() as cursor:
        for model in (Enterprise, ClusterMembership, Designation):
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        for model in (AnnualMetrics, MemberRevenue):
            cursor.execute(f"{verb} {connection.ops.quote_name(model._meta.db_table)}")
