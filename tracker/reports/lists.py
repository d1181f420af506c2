"""The report's lists: changes, near misses, cluster coverage, data to collect, designations.

Each list is one capped query, ranked within the parts of the scopes built together (``shared.py``:
the night's 14 reports read it once), plus one read of its enterprises' official columns (``refs``)
and, where it shows gaps, one set-based read of their values (``gaps.GapReader``). What a cap leaves
out is counted in ``truncated``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import F, Q
from django.utils.translation import gettext as _

from tracker.models import ChainSegment, Cluster, Designation, EligibilityResult, EvaluationRun, TierChange
from tracker.models.designations import DesignationStatus, held_on_q
from tracker.models.evaluation import ResultStatus
from tracker.pipeline.facts_loader import per_cluster_tiers
from tracker.reports.flips import before_of, flipped_criteria
from tracker.reports.gaps import GapReader
from tracker.reports.refs import RefReader
from tracker.reports.scope import RegionTable, ReportScope
from tracker.reports.sections import ChangeRow, ClusterCoverageRow, DesignationRow, NearMissRow
from tracker.reports.shared import SharedLists

# Caps of the long lists: a report is read by people; the API and the admin lists hold the rest.
CAPS = {"changes": 2000, "near_misses": 500, "to_collect": 2000, "designations": 2000}

# The titles a cluster promoter counts (tier codes, the data's identifiers).
CHAIN_LEADER, LITTLE_GIANT = "chain_leader", "little_giant"
SINGLE_CHAMPION, SPECIALIZED = "single_champion", "specialized_sme"


@dataclass
class ListContext:
    scope: ReportScope
    table: RegionTable
    run: EvaluationRun
    tier_names: dict[str, str]
    gap_reader: GapReader
    previous_data_date: dt.date | None
    shared: SharedLists
    truncated: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, *, scope, table, run, tier_names, gap_reader, previous_data_date, shared=None) -> ListContext:
        """``shared``: the readings of the scopes built together; without it, this scope's own."""
        if shared is None or scope.region_code not in shared.parts.scope_parts:
            gap_reader = gap_reader or GapReader(
                as_of=run.as_of, fiscal_year=run.fiscal_year, per_cluster=per_cluster_tiers()
            )
            shared = SharedLists(scopes=[scope], table=table, gap_reader=gap_reader)
        return cls(scope, table, run, tier_names, shared.gap_reader, previous_data_date, shared)

    @property
    def refs(self) -> RefReader:
        return self.shared.refs

    def within(self, qs):
        return qs if self.scope.scope.level == "province" else qs.within_region(self.scope.region_code)

    def results(self):
        return self.within(EligibilityResult.objects.current())

    def ranked(self, section: str, key, qs, *, region_field: str, order_by: list) -> list:
        """The scope's first rows of a capped list, from the one reading of the scopes built together
        (``key`` names what ``qs`` selects); what the cap leaves out is noted."""
        cap = CAPS[section]
        picked, totals = self.shared.ranked(
            (section, key), qs, region_field=region_field, order_by=order_by, cap=cap
        ).for_scope(self.shared.parts.of_scope(self.scope), cap)
        rows = picked.get((), [])
        left = totals.get((), 0) - len(rows)
        if left > 0:
            self.truncated[section] = left
        return rows

    def truncated_cap(self, section: str, total: int) -> int:
        """The cap of ``section``, noting what a list of ``total`` rows leaves out."""
        cap = CAPS[section]
        if total > cap:
            self.truncated[section] = total - cap
        return cap


def changes(context: ListContext, *, since) -> list[ChangeRow]:
    """Every tier gained or lost since the previous report (or, without one, in this report's run)."""
    events = TierChange.objects.all()  # scoped by ``context.ranked``
    if since is not None and since.run_id and since.run_id < context.run.pk:
        # Runs are numbered in order: the events of the runs after the previous report's, up to this
        # report's (on-change runs between nights included); events without a run by their time.
        previous_end = EvaluationRun.objects.filter(pk=since.run_id).values_list("finished_at", flat=True).first()
        events = events.filter(
            Q(run_id__gt=since.run_id, run_id__lte=context.run.pk)
            | Q(run__isnull=True, created_at__gt=previous_end or context.run.created_at)
        )
    elif since is not None and since.run_id == context.run.pk:
        events = events.none()  # the same run as the previous report: nothing has changed since
    else:
        events = events.filter(run_id=context.run.pk)
    rows = context.ranked("changes", (since.run_id if since else None, context.run.pk), events.values(
        "enterprise_id", "tier_id", "cluster_id", "change", "from_status", "to_status", "created_at"),
        region_field="enterprise__region_id", order_by=[F("created_at").desc(), F("id").desc()])
    flipped = flipped_criteria(context, rows, before=before_of(context.run, since.run_id if since else None)) \
        if rows else {}
    refs = context.refs({r["enterprise_id"] for r in rows})
    clusters = dict(Cluster.objects.values_list("id", "name_zh"))
    statuses = dict(ResultStatus.choices)
    out = []
    for r in rows:
        key = (r["enterprise_id"], r["tier_id"], r["cluster_id"])
        out.append(ChangeRow(
            enterprise=refs[r["enterprise_id"]],
            tier_code=r["tier_id"],
            tier_name=context.tier_names.get(r["tier_id"], r["tier_id"]),
            cluster=clusters.get(r["cluster_id"], ""),
            change=r["change"],
            change_label=_("新增") if r["change"] == TierChange.Change.GAINED else _("失去"),
            status_before=str(statuses.get(r["from_status"], _("无"))),
            status_after=str(statuses.get(r["to_status"], _("结果已删除"))),
            flipped=flipped.get(key, []),
            changed_at=r["created_at"],
        ))
    return out


def near_misses(context: ListContext, tiers) -> list[NearMissRow]:
    """Per tier, the closest first: the result's normalised shortfall, then the enterprise id."""
    cap = CAPS["near_misses"]
    by_tier, totals = context.shared.near_misses(cap).for_scope(context.shared.parts.of_scope(context.scope), cap)
    picked = []
    for code, _name in tiers:
        rows = by_tier.get((code,), [])
        left = totals.get((code,), 0) - len(rows)
        if left > 0:
            context.truncated[f"near_misses:{code}"] = left
        picked += rows
    gaps = context.gap_reader.gaps(picked)
    refs = context.refs({r.enterprise_id for r in picked})
    clusters = dict(Cluster.objects.filter(pk__in={r.cluster_id for r in picked if r.cluster_id})
                    .values_list("id", "name_zh"))
    return [
        NearMissRow(refs[r.enterprise_id], r.tier_id, context.tier_names.get(r.tier_id, r.tier_id),
                    float(r.shortfall) if r.shortfall is not None else 0.0, gaps.get(r.pk, []),
                    cluster=clusters.get(r.cluster_id, ""))
        for r in picked
    ]


def coverage(source, scope: ReportScope, clusters: list[Cluster]) -> list[ClusterCoverageRow]:
    """Per cluster and chain segment: chain leaders, little giants, single champions, 专精特新 held by
    members registered in the scope. A row with none of them is highlighted."""
    counts: dict = defaultdict(lambda: defaultdict(int))  # (cluster, segment or 0) → tier → count
    for (tier, title_cluster, region, members), n in source.held_title_groups.items():
        if not scope.contains(region):
            continue
        for cluster, segment in members:
            if title_cluster is not None and title_cluster != cluster:
                continue
            counts[(cluster, 0)][tier] += n
            if segment:
                counts[(cluster, segment)][tier] += n
    segments = defaultdict(list)
    for segment in ChainSegment.objects.order_by("cluster_id", "position", "sort_order"):
        segments[segment.cluster_id].append(segment)
    rows = []
    for cluster in clusters:
        group = str(cluster.get_group_display())
        parts = [(0, "")] + [(s.pk, f"{s.get_position_display()} · {s.name}") for s in segments[cluster.pk]]
        for segment_id, segment_name in parts:
            c = counts.get((cluster.pk, segment_id), {})
            values = [c.get(CHAIN_LEADER, 0), c.get(LITTLE_GIANT, 0), c.get(SINGLE_CHAMPION, 0), c.get(SPECIALIZED, 0)]
            rows.append(ClusterCoverageRow(group, cluster.code, cluster.name_zh, segment_name, *values,
                                           highlight=not any(values)))
    return rows


def designations(context: ListContext) -> list[DesignationRow]:
    """Designations due for 复核, expiring within the review window, or run out in the period."""
    data_date = context.run.as_of
    horizon = data_date + dt.timedelta(days=settings.TIDU["REVIEW_DUE_DAYS"])
    since = context.previous_data_date or data_date - dt.timedelta(days=1)
    held = held_on_q(data_date)
    expired = Q(valid_until__gte=since, valid_until__lt=data_date) & ~Q(status=DesignationStatus.REVOKED) & ~Q(
        status__in=[DesignationStatus.CANDIDATE, DesignationStatus.PUBLICIZED]
    )
    qs = Designation.objects.filter(
        (held & (Q(status=DesignationStatus.REVIEW_DUE) | Q(valid_until__lte=horizon))) | expired
    )
    rows = context.ranked("designations", (data_date, since), qs.values(
        "enterprise_id", "tier_id", "batch", "document_no", "recognized_on", "valid_until", "status"),
        region_field="enterprise__region_id",
        order_by=[F("batch").asc(), F("document_no").asc(), F("valid_until").asc(), F("id").asc()])
    refs = context.refs({r["enterprise_id"] for r in rows})
    labels = dict(DesignationStatus.choices)
    out = []
    for r in rows:
        if r["valid_until"] is not None and r["valid_until"] < data_date:
            bucket = "expired"
        elif r["status"] == DesignationStatus.REVIEW_DUE:
            bucket = "review_due"
        else:
            bucket = "expiring"
        out.append(DesignationRow(
            refs[r["enterprise_id"]], context.tier_names.get(r["tier_id"], r["tier_id"]), r["batch"],
            r["document_no"], r["recognized_on"], r["valid_until"], str(labels.get(r["status"], r["status"])), bucket,
        ))
    return out

