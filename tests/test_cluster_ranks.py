"""Revenue ranks in a cluster: the worker-wide snapshot and the server's count for one member agree."""

import io

import numpy as np
import pytest
from django.core.management import call_command

from tracker.models import AnnualMetrics, ClusterMembership
from tracker.pipeline.cluster_ranks import ClusterRevenueRanks, revenue_rank

pytestmark = pytest.mark.django_db
FY = 2025


def test_the_count_for_one_member_equals_the_snapshots_rank_for_every_member(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    call_command("generate_demo", enterprises=80, seed=11, stdout=io.StringIO())
    # Ties and a missing revenue must rank the same way on both paths.
    first, second = AnnualMetrics.objects.filter(fiscal_year=FY, revenue__isnull=False).order_by("pk")[:2]
    AnnualMetrics.objects.filter(pk=second.pk).update(revenue=first.revenue, main_business_revenue=None)
    last = AnnualMetrics.objects.filter(fiscal_year=FY, revenue__isnull=False).latest("pk")
    AnnualMetrics.objects.filter(pk=last.pk).update(revenue=None, main_business_revenue=None)
    revenue = dict(AnnualMetrics.objects.filter(fiscal_year=FY).values_list("enterprise_id", "revenue"))
    members = list(ClusterMembership.objects.values_list("enterprise_id", "cluster_id"))
    assert len(members) > 50
    own = np.array([np.nan if revenue.get(e) is None else float(revenue[e]) for e, _ in members])
    snapshot = ClusterRevenueRanks().rank(FY, np.array([c for _, c in members]), own)
    counted = [revenue_rank(fiscal_year=FY, cluster_id=c, revenue=revenue.get(e)) for e, c in members]
    assert [None if np.isnan(r) else int(r) for r in snapshot] == counted
    assert None in counted and 1 in counted
