"""Designation batches: candidates from results, 公示, objections, publishing, 复核."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from tests.factories import DesignationFactory, EnterpriseFactory, RegionFactory, TierFactory, UserFactory
from tracker.models import Designation, EligibilityResult, EvaluationRun, Ruleset
from tracker.services import batches as services
from tracker.services.enterprise_archive import enterprise_archive

PUBLISHED = dt.date(2026, 7, 1)


@pytest.fixture
def tier(db):
    return TierFactory()


@pytest.fixture
def user(db):
    return UserFactory(username="clerk", is_staff=True, is_superuser=True)


def result(enterprise, tier, status):
    """A result of fiscal year 2025, made the current year by a completed full run (the read layer's
    ``current()``: what a batch checks its candidates against)."""
    ruleset = Ruleset.objects.get_or_create(
        tier=tier, version="t", defaults={"effective_from": dt.date(2022, 1, 1), "reference": "r", "definition": {}}
    )[0]
    EvaluationRun.objects.get_or_create(
        kind="nightly", as_of=dt.date(2026, 6, 1), fiscal_year=2025, status="succeeded",
        defaults={"finished_at": dt.datetime(2026, 6, 1, 3, tzinfo=dt.UTC)},
    )
    return EligibilityResult.objects.create(
        enterprise=enterprise, tier=tier, fiscal_year=2025, status=status, ruleset=ruleset, input_hash=0,
        evaluated_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC),
    )


@pytest.fixture
def batch(tier, user):
    return services.batch_create(
        user=user, tier=tier, year=2026, name="2026年第一批", publicity_start=dt.date(2026, 6, 10),
        publicity_end=dt.date(2026, 6, 16), objection_contact="省工信厅中小企业处，025-0000000",
    )


def test_it_adds_only_eligible_undesignated_enterprises(batch, tier, user):
    region = RegionFactory()
    eligible, failing, holder = (EnterpriseFactory(region=region) for _ in range(3))
    result(eligible, tier, "eligible")
    result(failing, tier, "not_eligible")
    result(holder, tier, "eligible")
    DesignationFactory(enterprise=holder, tier=tier, status="active")
    outcome = services.batch_candidates_add(
        batch=batch, candidates=[(e.pk, None) for e in (eligible, failing, holder)], user=user
    )
    assert outcome["added"] == 1 and sum(outcome["skipped"].values()) == 2
    candidate = Designation.objects.get(designation_batch=batch)
    assert candidate.enterprise == eligible and candidate.status == "candidate" and candidate.batch == "2026年第一批"
    assert candidate.history.first().history_user == user


def test_publishing_activates_with_the_tiers_validity_and_flags_who_dropped_out(batch, tier, user):
    keeps, drops = EnterpriseFactory(), EnterpriseFactory()
    for firm in (keeps, drops):
        result(firm, tier, "eligible")
    services.batch_candidates_add(batch=batch, candidates=[(keeps.pk, None), (drops.pk, None)], user=user)
    EligibilityResult.objects.filter(enterprise=drops).update(status="not_eligible")
    flags = {row["designation"].enterprise_id: row["no_longer_eligible"] for row in services.batch_candidates(batch=batch)}
    assert flags == {keeps.pk: False, drops.pk: True}
    services.batch_publicize(batch=batch, user=user)
    objection = services.objection_record(
        batch=batch, designation=Designation.objects.get(enterprise=drops), received_on=dt.date(2026, 6, 12),
        objector="张三", content="研发费用数据不实", user=user,
    )
    with pytest.raises(ValidationError):
        services.batch_publish(batch=batch, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕1号")
    services.objection_resolve(objection=objection, resolution="upheld", note="核实属实", user=user)
    services.batch_publish(batch=batch, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕1号")
    active = Designation.objects.get(enterprise=keeps)
    assert (active.status, active.recognized_on, active.valid_until) == ("active", PUBLISHED, dt.date(2029, 6, 30))
    assert active.document_no == "苏工信中小〔2026〕1号"
    assert Designation.objects.get(enterprise=drops).status == "revoked"
    batch.refresh_from_db()
    assert batch.status == "published" and batch.history.count() >= 3


def test_publishing_refuses_an_overlapping_holding_designation(batch, tier, user):
    firm = EnterpriseFactory()
    result(firm, tier, "eligible")
    services.batch_candidates_add(batch=batch, candidates=[(firm.pk, None)], user=user)
    services.batch_publicize(batch=batch, user=user)
    # Meanwhile an official list with the same title was imported for the firm.
    Designation.objects.create(enterprise=firm, tier=tier, status="active", recognized_on=dt.date(2026, 1, 1),
                               valid_until=dt.date(2028, 12, 31), document_no="X")
    with pytest.raises(ValidationError, match="重叠"):
        services.batch_publish(batch=batch, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕1号")
    assert Designation.objects.get(designation_batch=batch).status == "publicized"


def test_a_review_batch_renews_the_passed_and_revokes_the_failed(tier, user):
    passed = DesignationFactory(tier=tier, status="review_due", recognized_on=dt.date(2023, 6, 1), valid_until=dt.date(2026, 5, 31))
    failed = DesignationFactory(tier=tier, status="review_due", recognized_on=dt.date(2023, 6, 1), valid_until=dt.date(2026, 5, 31))
    review = services.batch_create(user=user, tier=tier, year=2026, name="2026年复核", kind="review",
                                   publicity_start=dt.date(2026, 6, 1), publicity_end=dt.date(2026, 6, 7),
                                   objection_contact="处室电话")
    assert services.batch_reviews_add_due(batch=review, user=user) == 2
    entries = {e.designation_id: e for e in review.reviews.all()}
    services.review_record(review=entries[passed.pk], outcome="passed", user=user)
    services.review_record(review=entries[failed.pk], outcome="failed", note="研发投入不达标", user=user)
    services.batch_publicize(batch=review, user=user)
    services.batch_publish(batch=review, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕9号")
    passed.refresh_from_db()
    failed.refresh_from_db()
    assert (passed.status, passed.valid_until) == ("renewed", dt.date(2029, 6, 30))
    assert failed.status == "revoked"


def test_withdrawing_revokes_the_candidates(batch, tier, user):
    firm = EnterpriseFactory()
    result(firm, tier, "eligible")
    services.batch_candidates_add(batch=batch, candidates=[(firm.pk, None)], user=user)
    services.batch_withdraw(batch=batch, user=user, reason="材料退回")
    assert Designation.objects.get(enterprise=firm).status == "revoked"
    with pytest.raises(ValidationError):
        services.batch_publicize(batch=batch, user=user)


def test_publishing_refuses_a_candidate_archived_during_the_notice_until_taken_off(batch, tier, user):
    keeps, archived = EnterpriseFactory(), EnterpriseFactory(name="已注销科技有限公司")
    for firm in (keeps, archived):
        result(firm, tier, "eligible")
    services.batch_candidates_add(batch=batch, candidates=[(keeps.pk, None), (archived.pk, None)], user=user)
    services.batch_publicize(batch=batch, user=user)
    enterprise_archive(enterprise=archived, user=user, reason="企业注销")
    with pytest.raises(ValidationError, match=r"已注销科技有限公司.*已归档"):
        services.batch_publish(batch=batch, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕1号")
    assert set(Designation.objects.filter(designation_batch=batch).values_list("status", flat=True)) == {"publicized"}
    objection = services.objection_record(
        batch=batch, designation=Designation.objects.get(enterprise=archived), received_on=dt.date(2026, 6, 12),
        objector="市工信局", content="企业已注销", user=user,
    )
    services.objection_resolve(objection=objection, resolution="upheld", user=user)
    services.batch_publish(batch=batch, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕1号")
    assert Designation.objects.get(enterprise=keeps).status == "active"
    assert Designation.objects.get(enterprise=archived).status == "revoked"


def test_a_review_batch_does_not_renew_an_archived_enterprises_title(tier, user):
    held = DesignationFactory(tier=tier, status="review_due", recognized_on=dt.date(2023, 6, 1),
                              valid_until=dt.date(2026, 5, 31))
    review = services.batch_create(user=user, tier=tier, year=2026, name="2026年复核", kind="review",
                                   publicity_start=dt.date(2026, 6, 1), publicity_end=dt.date(2026, 6, 7),
                                   objection_contact="处室电话")
    services.batch_reviews_add_due(batch=review, user=user)
    services.review_record(review=review.reviews.get(), outcome="passed", user=user)
    services.batch_publicize(batch=review, user=user)
    enterprise_archive(enterprise=held.enterprise, user=user)
    with pytest.raises(ValidationError, match="已归档"):
        services.batch_publish(batch=review, user=user, published_on=PUBLISHED, document_no="苏工信中小〔2026〕9号")
    held.refresh_from_db()
    assert (held.status, held.valid_until) == ("review_due", dt.date(2026, 5, 31))
