"""What a confirmed import writes, per kind: set-based, with history, then one pooled re-evaluation.

Each writer receives a plan with no rejected row (the commit checked) and runs inside the commit's
transaction.
"""

from __future__ import annotations

import numpy as np

from tracker.models import AnnualMetrics, ClusterMembership, Designation, Enterprise
from tracker.models.metrics import METRIC_FIELDS, FactSource
from tracker.services.bulk_rows import rows_create, rows_update
from tracker.services.facts_changed import facts_changed


def _written(plan) -> tuple[np.ndarray, np.ndarray]:
    """(rows to create, rows to update) as sheet positions."""
    new = np.flatnonzero(plan.is_new)
    changed = np.array(sorted(plan.changes), dtype=np.int64)
    return new, changed


def metrics_write(plan, *, user, reason: str) -> None:
    w = plan.writes
    new, changed = _written(plan)
    for rows, create in ((new, True), (changed, False)):
        columns = {name: w["merged"][name][rows] for name in METRIC_FIELDS}
        columns["source"] = [FactSource.IMPORTED] * len(rows)
        if create:
            columns["enterprise_id"] = w["enterprise_id"][rows]
            columns["fiscal_year"] = w["fiscal_year"][rows]
            rows_create(AnnualMetrics, columns, n=len(rows), user=user, reason=reason)
        else:
            columns["id"] = w["existing_id"][rows]
            rows_update(AnnualMetrics, columns, n=len(rows), user=user, reason=reason)
    facts_changed(enterprise_ids=np.unique(w["enterprise_id"][np.concatenate([new, changed])]).tolist())


def enterprises_write(plan, *, user, reason: str) -> None:
    w = plan.writes
    new, changed = _written(plan)
    fields = w["fields"]
    new_ids = rows_create(
        Enterprise, {name: w["merged"][name][new] for name in fields}, n=len(new), user=user, reason=reason
    )
    profile_changed = [i for i in changed if i in w["profile_changed"]]
    rows = np.array(profile_changed, dtype=np.int64)
    columns = {name: w["merged"][name][rows] for name in fields}
    columns["id"] = w["existing_id"][rows]
    rows_update(Enterprise, columns, n=len(rows), user=user, reason=reason)

    enterprise_ids = w["existing_id"].copy()
    enterprise_ids[new] = new_ids
    _memberships_replace(enterprise_ids, w["memberships"])
    facts_changed(enterprise_ids=sorted({int(enterprise_ids[i]) for i in np.concatenate([new, changed])}))


def _memberships_replace(enterprise_ids: np.ndarray, wanted: dict[int, dict[int, int | None]]) -> None:
    """Make each listed enterprise's memberships exactly {cluster: segment} (a handful of statements)."""
    if not wanted:
        return
    by_enterprise = {int(enterprise_ids[i]): clusters for i, clusters in wanted.items()}
    current = {
        (m.enterprise_id, m.cluster_id): m
        for m in ClusterMembership.objects.filter(enterprise_id__in=list(by_enterprise))
    }
    keep = {(e, c) for e, clusters in by_enterprise.items() for c in clusters}
    stale = [m.pk for key, m in current.items() if key not in keep]
    ClusterMembership.objects.filter(pk__in=stale).delete()
    create, update = [], []
    for enterprise_id, clusters in by_enterprise.items():
        for cluster_id, segment_id in clusters.items():
            membership = current.get((enterprise_id, cluster_id))
            if membership is None:
                create.append(
                    ClusterMembership(enterprise_id=enterprise_id, cluster_id=cluster_id, segment_id=segment_id)
                )
            elif membership.segment_id != segment_id:
                membership.segment_id = segment_id
                update.append(membership)
    ClusterMembership.objects.bulk_create(create, batch_size=1000)
    ClusterMembership.objects.bulk_update(update, ["segment"], batch_size=1000)


def designations_write(plan, *, user, reason: str) -> None:
    w = plan.writes
    new, changed = _written(plan)
    fields = w["fields"]
    rows_create(Designation, {name: w["merged"][name][new] for name in fields}, n=len(new), user=user, reason=reason)
    columns = {name: w["merged"][name][changed] for name in fields}
    columns["id"] = w["existing_id"][changed]
    rows_update(Designation, columns, n=len(changed), user=user, reason=reason)
    written = np.concatenate([new, changed])
    facts_changed(enterprise_ids=np.unique(w["merged"]["enterprise_id"][written]).tolist())


WRITERS = {"metrics": metrics_write, "enterprises": enterprises_write, "designations": designations_write}
