"""The demo's data makes a believable tier pyramid through the real engine, with two nights to diff."""

import datetime as dt
import itertools

import pytest
from django.db.models import Count, Q

from tracker.demo.generator import demo_generate
from tracker.demo.nights import demo_nights, tier_counts
from tracker.models import Designation, EligibilityResult, Enterprise, TierChange
from tracker.services.reference_data import reference_data_load

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)
LADDER = ("innovative_sme", "specialized_sme", "little_giant")


def test_the_demo_makes_a_tier_pyramid_with_two_nights_to_diff():
    """One build (2,000 enterprises, two nightly runs through the real engine), checked section by section."""
    reference_data_load()
    demo_generate(enterprises=2000, seed=1, reference_date=TODAY)
    runs = demo_nights(today=TODAY, enterprises=2000)
    check_each_rung_has_eligible_and_held_enterprises_fewer_up_the_ladder()
    check_specialized_has_near_misses_insufficient_data_and_holders_at_risk()
    check_the_two_nights_show_gains_and_losses(runs)
    check_designations_come_due_and_lapse_around_the_day()
    check_enterprises_are_registered_in_cities_and_counties()


def counts(tier):
    results = EligibilityResult.objects.current().filter(tier_id=tier)
    return {
        "held": Designation.objects.held_on(TODAY).filter(tier_id=tier).values("enterprise").distinct().count(),
        **results.aggregate(
            eligible=Count("id", filter=Q(status="eligible")),
            near_miss=Count("id", filter=Q(near_miss=True)),
            insufficient=Count("id", filter=Q(status="insufficient_data")),
        ),
    }


def check_each_rung_has_eligible_and_held_enterprises_fewer_up_the_ladder():
    ladder = [counts(tier) for tier in LADDER]
    for tier, row in zip(LADDER, ladder, strict=True):
        assert row["eligible"] > 0 and row["held"] > 0, (tier, row)
    for lower, upper in itertools.pairwise(ladder):
        assert lower["eligible"] > upper["eligible"]
        assert lower["held"] > upper["held"]
    # most enterprises are ordinary SMEs: the base of the pyramid holds no title
    assert ladder[0]["held"] < 0.25 * Enterprise.objects.count()


def check_specialized_has_near_misses_insufficient_data_and_holders_at_risk():
    row = counts("specialized_sme")
    assert row["near_miss"] > 0
    assert row["insufficient"] > 0
    holders = Designation.objects.held_on(TODAY).filter(tier_id="specialized_sme").values("enterprise")
    at_risk = EligibilityResult.objects.current().filter(tier_id="specialized_sme", enterprise__in=holders)
    assert at_risk.exclude(status="eligible").exists()
    assert at_risk.filter(status="eligible").exists()
    assert counts("little_giant")["near_miss"] > 0


def check_the_two_nights_show_gains_and_losses(demo):
    assert demo["yesterday"].as_of == TODAY - dt.timedelta(days=1)
    assert demo["today"].as_of == TODAY
    assert {demo["yesterday"].status, demo["today"].status} == {"succeeded"}
    tonight = TierChange.objects.filter(run=demo["today"], tier_id="specialized_sme")
    assert tonight.filter(change="gained").exists()
    assert tonight.filter(change="lost").exists()
    printed = {row["tier"]: row for row in tier_counts(as_of=TODAY)}
    assert (
        printed["specialized_sme"]["gained"]
        == TierChange.objects.filter(tier_id="specialized_sme", change="gained").count()
    )


def check_designations_come_due_and_lapse_around_the_day():
    held = Designation.objects.held_on(TODAY).exclude(valid_until=None)
    assert held.filter(valid_until__lte=TODAY + dt.timedelta(days=90)).exists()
    assert Designation.objects.filter(status="expired", valid_until__gte=TODAY - dt.timedelta(days=120)).exists()


def check_enterprises_are_registered_in_cities_and_counties():
    levels = dict(Enterprise.objects.values_list("region__level").annotate(n=Count("id")))
    assert levels.get("prefecture", 0) > 0
    assert levels.get("county", 0) > 0
