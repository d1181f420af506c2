"""Demo data: `generate_demo` writes plausible, valid, reproducible enterprises and metrics."""

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db.models import F

from tracker import uscc
from tracker.demo.generator import demo_generate
from tracker.demo.names import CLUSTER_PHRASES, NameSpace
from tracker.models import AnnualMetrics, ClusterMembership, Designation, Enterprise
from tracker.services.reference_data import reference_data_load

pytestmark = pytest.mark.django_db

N = 200


@pytest.fixture
def reference_data():
    reference_data_load()


def snapshot():
    enterprises = list(Enterprise.objects.order_by("uscc").values_list("uscc", "name", "region__code", "founded_on"))
    metrics = list(
        AnnualMetrics.objects.order_by("enterprise__uscc", "fiscal_year").values_list(
            "enterprise__uscc", "fiscal_year", "revenue", "rd_expense", "employees", "niche_market_share"
        )
    )
    return enterprises, metrics


def test_it_fails_clearly_without_reference_data():
    with pytest.raises(CommandError, match="bootstrap"):
        call_command("generate_demo", enterprises=10, seed=1)


def test_it_reproduces_names_usccs_and_metrics_for_a_seed(reference_data):
    demo_generate(enterprises=N, seed=7)
    first = snapshot()
    demo_generate(enterprises=N, seed=7, replace=True)
    assert snapshot() == first
    assert Enterprise.objects.count() == N


def test_a_different_seed_gives_different_data(reference_data):
    demo_generate(enterprises=N, seed=7)
    first = snapshot()
    demo_generate(enterprises=N, seed=8, replace=True)
    assert snapshot()[1] != first[1]


def test_it_appends_with_fresh_usccs_and_names(reference_data):
    demo_generate(enterprises=N, seed=7)
    demo_generate(enterprises=N, seed=7)
    assert Enterprise.objects.values("uscc").distinct().count() == 2 * N
    assert Enterprise.objects.values("name").distinct().count() == 2 * N


def test_every_uscc_is_valid_and_carries_the_region_code(reference_data):
    demo_generate(enterprises=N, seed=3)
    for code, region_code in Enterprise.objects.values_list("uscc", "region__code"):
        assert uscc.has_valid_check_digit(code), code
        assert code.startswith("91")
        assert uscc.region_code(code) == region_code
        assert region_code.startswith("32")


def test_names_are_unique_plausible_company_names(reference_data):
    demo_generate(enterprises=N, seed=3)
    rows = Enterprise.objects.values_list("name", "region__level", "region__name", "region__parent__name")
    names = [(name, parent if level == "county" else region) for name, level, region, parent in rows]
    assert len({n for n, _ in names}) == N
    for name, city in names:  # a firm registered in a county carries its city's name
        assert name.startswith(city.removesuffix("市"))
        assert name.endswith("有限公司")


def test_each_enterprise_has_one_or_two_cluster_memberships_with_a_matching_segment(reference_data):
    demo_generate(enterprises=N, seed=3)
    per_enterprise = {}
    for membership in ClusterMembership.objects.select_related("segment"):
        per_enterprise.setdefault(membership.enterprise_id, []).append(membership)
        assert membership.segment is None or membership.segment.cluster_id == membership.cluster_id
    assert len(per_enterprise) == N
    assert {len(m) for m in per_enterprise.values()} <= {1, 2}


def test_metrics_respect_the_model_constraints(reference_data):
    demo_generate(enterprises=N, seed=3, years=5)
    metrics = AnnualMetrics.objects.all()
    assert set(metrics.values_list("fiscal_year", flat=True)) == {2021, 2022, 2023, 2024, 2025}
    assert not metrics.filter(rd_staff__gt=F("employees")).exists()
    assert not metrics.filter(main_business_revenue__gt=F("revenue")).exists()
    for field in ("niche_market_share", "local_procurement_ratio"):
        assert not metrics.filter(**{f"{field}__lt": 0}).exists()
        assert not metrics.filter(**{f"{field}__gt": 1}).exists()
    assert not metrics.filter(st_award_rank__isnull=False, st_award_level__in=[None, "none"]).exists()
    for row in metrics[:300]:
        row.full_clean(exclude=["enterprise"])


def test_some_values_are_missing_rather_than_zero(reference_data):
    demo_generate(enterprises=N, seed=3)
    metrics = AnnualMetrics.objects.all()
    total = metrics.count()
    for field in ("revenue", "rd_expense", "employees", "high_tech_certified"):
        missing = metrics.filter(**{f"{field}__isnull": True}).count()
        assert 0 < missing < 0.2 * total, field
    assert metrics.filter(revenue=0).count() == 0


def test_the_years_option_sets_the_window(reference_data):
    demo_generate(enterprises=20, seed=3, years=2)
    assert set(AnnualMetrics.objects.values_list("fiscal_year", flat=True)) <= {2024, 2025}


def test_designations_are_valid(reference_data):
    demo_generate(enterprises=N, seed=3)
    designations = list(Designation.objects.select_related("tier"))
    assert designations
    assert {d.tier_id for d in designations} >= {"innovative_sme"}
    assert {d.status for d in designations} <= {"active", "review_due", "expired"}
    for designation in designations:
        designation.full_clean()
        assert designation.batch and designation.document_no
        if designation.tier.per_cluster:
            assert designation.cluster_id is not None


def test_replace_deletes_only_demo_enterprises(reference_data, django_user_model):
    region_id = Enterprise._meta.get_field("region").related_model.objects.get(code="320100").pk
    real = Enterprise.objects.create(uscc="91320100134789620L", name="南京真实企业有限公司", region_id=region_id)
    demo_generate(enterprises=20, seed=1)
    demo_generate(enterprises=20, seed=1, replace=True)
    assert Enterprise.objects.filter(pk=real.pk).exists()
    assert Enterprise.objects.count() == 21


def test_the_name_space_reaches_ten_million_with_a_third_character_and_stays_unique():
    space = NameSpace(list(CLUSTER_PHRASES))
    # Around each block boundary, and 10M (the bench's size; 2.5M names per block).
    serials = np.concatenate(
        [np.arange(k * space.size - 3000, k * space.size + 3000) for k in (1, 2, 3)] + [np.arange(9_997_000, 10_000_000)]
    )
    first, second, phrase, block = space.parts(serials)
    city = np.full(serials.size, "苏州", dtype=object)
    names = space.names(city, first, second, phrase, block, np.zeros(serials.size, dtype=bool))
    assert len(set(names)) == serials.size
    assert set(block.tolist()) == {0, 1, 2, 3}
    # The first block is what it always was: the same serial, the same two-character trade name.
    low = np.arange(0, 1000)
    assert space.parts(low)[3].max() == 0
    with pytest.raises(ValueError, match="exhausted"):
        space.parts(np.array([space.size * (len(space.third) + 1)]))
