"""The read layer's rules, each written once: a user's region scope, "held on a date", an enterprise by
id or USCC, the current fiscal year, failing criteria, and an explanation as its reader may see it."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import DesignationFactory, EnterpriseFactory, TierFactory, UserFactory, give_office, region
from tracker.models import Designation, EligibilityResult, Enterprise, EvaluationRun, Region
from tracker.models.designations import is_held
from tracker.models.scoping import region_ids_within, region_scope
from tracker.selectors.explanations import redact_facts

pytestmark = pytest.mark.django_db


@pytest.fixture
def nantong(db):
    """南通市 with a current district and two retired codes merged into it (2020)."""
    city = region("320600", "南通市")
    chongchuan = region("320613", "崇川区", parent=city)
    gangzha = region("320611", "港闸区", parent=city)
    old = region("320602", "崇川区（旧）", parent=city)
    Region.objects.filter(pk__in=[gangzha.pk, old.pk]).update(retired_in=2020, successor=chongchuan)
    haimen = region("320614", "海门区", parent=city)
    region("320506", "吴中区")
    return {"city": city, "chongchuan": chongchuan, "gangzha": gangzha, "old": old, "haimen": haimen}


#
# Who sees what
#


def test_a_city_code_and_its_prefix_mean_the_same_regions(nantong):
    ids = region_ids_within("320600")
    assert ids == region_ids_within("3206")
    assert {nantong[k].pk for k in ("city", "chongchuan", "gangzha", "old", "haimen")} == set(ids)


def test_a_county_covers_the_retired_codes_merged_into_it(nantong):
    assert region_ids_within("320613") == {nantong["chongchuan"].pk, nantong["gangzha"].pk, nantong["old"].pk}
    assert region_ids_within("320614") == {nantong["haimen"].pk}


@pytest.mark.parametrize("value", ["", "abc", "32\x00", "３２０６", "²"])
def test_a_malformed_code_covers_nothing(nantong, value):
    assert region_ids_within(value) == frozenset()


def test_scopes_follow_the_office(nantong):
    province = UserFactory()
    give_office(province, "320000")
    city = UserFactory()
    give_office(city, "320600")
    county = UserFactory()
    give_office(county, "320613")
    assert region_scope(UserFactory(is_superuser=True)).unrestricted
    assert region_scope(province).unrestricted
    assert region_scope(city).region_ids == region_ids_within("3206")
    assert region_scope(county).region_ids == region_ids_within("320613")
    assert not region_scope(county).allows(nantong["haimen"].pk)


def test_nobody_without_an_office_sees_anything(nantong):
    inactive = UserFactory(is_active=False)
    give_office(inactive, "320000")
    for user in (AnonymousUser(), UserFactory(is_staff=True), inactive):
        scope = region_scope(user)
        assert not scope.unrestricted and not scope.region_ids
    assert not Enterprise.objects.visible_to(AnonymousUser()).exists()


def test_a_scope_is_resolved_once_per_user_object(nantong):
    user = UserFactory()
    give_office(user, "320600")
    with CaptureQueriesContext(connection) as first:
        region_scope(user)
    with CaptureQueriesContext(connection) as again:
        region_scope(user)
    assert len(first) == 2 and len(again) == 0  # the office, then the (small) region table


def test_every_region_owned_model_is_scoped_through_its_enterprise(nantong):
    inside = EnterpriseFactory(region=nantong["gangzha"])  # a retired code, now 崇川区
    outside = EnterpriseFactory(region=Region.objects.get(code="320506"))
    for enterprise in (inside, outside):
        DesignationFactory(enterprise=enterprise)
    user = UserFactory()
    give_office(user, "320613")
    assert list(Enterprise.objects.visible_to(user)) == [inside]
    assert list(Designation.objects.visible_to(user).values_list("enterprise", flat=True)) == [inside.pk]
    assert list(Enterprise.objects.within_region("3205")) == [outside]


#
# Held on a date
#

HELD_CASES = [
    # status, recognized_on, valid_until, held on 2026-06-30?
    ("active", "2024-06-01", "2027-05-31", True),
    ("renewed", "2024-06-01", None, True),
    ("review_due", "2026-06-30", "2026-06-30", True),  # both ends count
    ("active", "2026-07-01", "2029-06-30", False),  # not yet recognised
    ("active", "2020-06-01", "2026-06-29", False),  # lapsed the day before
    ("expired", "2020-06-01", "2027-06-29", False),
    ("candidate", "2024-06-01", "2027-05-31", False),
    ("publicized", "2024-06-01", "2027-05-31", False),
    ("revoked", "2024-06-01", "2027-05-31", False),
]


def test_held_on_and_is_held_agree_on_every_case():
    as_of = dt.date(2026, 6, 30)
    tier = TierFactory()
    expected = {}
    for status, recognized, until, held in HELD_CASES:
        designation = Designation.objects.create(
            enterprise=EnterpriseFactory(), tier=tier, status=status, recognized_on=recognized, valid_until=until
        )
        expected[designation.pk] = held
        in_memory = is_held(
            status=status,
            recognized_on=dt.date.fromisoformat(recognized),
            valid_until=dt.date.fromisoformat(until) if until else None,
            as_of=as_of,
        )
        assert in_memory == held, (status, recognized, until)
    held_ids = set(Designation.objects.held_on(as_of).values_list("pk", flat=True))
    assert held_ids == {pk for pk, held in expected.items() if held}


def test_held_titles_give_one_row_per_title_with_its_latest_grant_in_the_database_and_in_memory():
    """Three grants of one title one after the other (the database refuses overlapping ones), two of
    them run out by date whatever their status says, and another title not yet granted: the title is
    held, granted on the latest date, and every reader says so."""
    from tracker.models.designations import latest_grants
    from tracker.pipeline.facts_loader import Slice, load_profiles
    from tracker.rules.facts import day_number
    from tracker.services.eligibility import enterprise_record

    as_of = dt.date(2026, 6, 30)
    tier, other_tier = TierFactory(), TierFactory(code="innovative_sme", ladder_order=1)
    enterprise = EnterpriseFactory()
    rows = [
        (tier, "active", "2018-06-01", "2021-05-31"),  # expired by date, still "active"
        (tier, "renewed", "2021-06-01", "2022-06-30"),  # expired by date, still "renewed"
        (tier, "review_due", "2022-07-01", "2026-07-31"),
        (other_tier, "active", "2026-07-01", None),  # granted after as_of
    ]
    for title, status, recognized, until in rows:
        Designation.objects.create(enterprise=enterprise, tier=title, status=status, recognized_on=recognized,
                                   valid_until=until)
    titles = list(Designation.objects.filter(enterprise=enterprise).held_titles(as_of)
                  .values_list("tier_id", "cluster_id", "granted_on"))
    assert titles == [(tier.code, None, dt.date(2022, 7, 1))]
    in_memory = latest_grants(
        ((t.code, status, dt.date.fromisoformat(rec), dt.date.fromisoformat(until) if until else None)
         for t, status, rec, until in rows),
        as_of=as_of,
    )
    assert in_memory == {tier.code: dt.date(2022, 7, 1)}
    assert enterprise_record(enterprise=enterprise, as_of=as_of)["designations"] == {tier.code: "2022-07-01"}
    profiles = load_profiles(part=Slice(enterprise.pk, enterprise.pk), as_of=as_of, per_cluster=frozenset())
    assert set(profiles.held.held) == {tier.code} and profiles.held.granted[tier.code][0] == day_number("2022-07-01")


#
# An enterprise by id or USCC
#


def test_by_key_reads_ids_and_codes_and_nothing_else():
    enterprise = EnterpriseFactory()
    assert Enterprise.objects.by_key(str(enterprise.pk)) == enterprise
    assert Enterprise.objects.by_key(enterprise.uscc.lower()) == enterprise
    for key in ("", "²", "１２", f"{enterprise.pk}\x00", "A" * 17, "9" * 19, "abc"):
        with pytest.raises(Enterprise.DoesNotExist):
            Enterprise.objects.by_key(key)


def test_ids_for_keys_names_the_keys_it_did_not_find():
    a, b = EnterpriseFactory(), EnterpriseFactory()
    ids, unknown = Enterprise.objects.ids_for_keys([str(a.pk), b.uscc, "999999", "²"])
    assert ids == sorted([a.pk, b.pk]) and unknown == ["999999", "²"]
    user = UserFactory()
    give_office(user, "320100")  # 南京: neither enterprise (苏州) is visible
    assert Enterprise.objects.visible_to(user).ids_for_keys([str(a.pk)]) == ([], [str(a.pk)])


#
# The current fiscal year
#


def run(fiscal_year: int, **fields) -> EvaluationRun:
    defaults = {"kind": "manual", "is_full": True, "status": "succeeded", "finished_at": timezone.now()}
    return EvaluationRun.objects.create(as_of=dt.date(fiscal_year + 1, 5, 1), fiscal_year=fiscal_year,
                                        **{**defaults, **fields})


def test_the_current_year_is_that_of_the_last_completed_full_run():
    run(2024, kind="nightly")
    run(2025)
    assert EvaluationRun.objects.current_fiscal_year() == 2025


def test_ad_hoc_runs_do_not_move_the_current_year():
    run(2025, kind="nightly")
    run(9998)  # far date, still running
    run(9998, status="running", finished_at=None)
    run(9997, is_full=False)  # listed enterprises
    run(9996, kind="on_change", is_full=False)
    run(9995, params={"tiers": ["little_giant"]})  # some tiers only
    run(9994, kind="simulation")
    EvaluationRun.objects.filter(fiscal_year=9998, status="succeeded").update(status="failed")
    assert EvaluationRun.objects.current_fiscal_year() == 2025


def test_before_any_full_run_the_current_year_is_last_year():
    assert EvaluationRun.objects.current_fiscal_year() == timezone.localdate().year - 1


def test_current_results_are_those_of_the_current_year(world_results):
    run(2024)
    assert set(EligibilityResult.objects.current().values_list("fiscal_year", flat=True)) == {2024}


@pytest.fixture
def world_results(db):
    from tests.access.conftest import DEFINITION
    from tracker.models import Ruleset

    tier = TierFactory()
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    enterprise = EnterpriseFactory()
    for year in (2023, 2024, 2025):
        EligibilityResult.objects.create(enterprise=enterprise, tier=tier, fiscal_year=year, status="eligible",
                                         ruleset=ruleset, input_hash=0, evaluated_at=timezone.now())


#
# An explanation as its reader may see it
#


def test_a_redacted_explanation_keeps_outcomes_and_drops_every_value():
    explanation = {
        "tier": "x", "status": "not_eligible", "score": None, "failing_count": 1, "shortfall": 0.2,
        "nodes": [{"id": "a", "outcome": "failed", "value": 12.5, "threshold": 20, "shortfall": 0.2,
                   "inputs": [{"field": "revenue", "value": 1}], "gap": {"absolute": 7.5}}],
        "gaps": {"failing": [{"id": "a", "value": 12.5, "gap": {"absolute": 7.5}}],
                 "facts_to_collect": [{"field": "rd_expense", "fiscal_year": 2025, "needed_by": ["b"]}],
                 "scores": [{"moves": [{"value": 3, "relative_change": 0.5, "points_gained": 2}]}]},
    }
    redacted = redact_facts(explanation)
    text = repr(redacted)
    assert "12.5" not in text and "7.5" not in text and "relative_change" not in text and "inputs" not in text
    assert redacted["nodes"][0]["outcome"] == "failed" and redacted["nodes"][0]["threshold"] == 20
    assert redacted["gaps"]["facts_to_collect"] == explanation["gaps"]["facts_to_collect"]
    assert redacted["shortfall"] == 0.2 and redacted["facts_redacted"] is True
    assert explanation["nodes"][0]["value"] == 12.5  # the original is untouched
