"""The explanation staff read: next steps first, what cannot be changed tagged, which standard applied."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import translation

from tests.eligibility_records import QUALIFIES_FOR_INNOVATIVE_METRICS
from tracker.admin.explanation import explanation_html
from tracker.services.eligibility import evaluate_record

pytestmark = pytest.mark.django_db

QUALIFIES_FOR_INNOVATIVE = {
    "attributes": {"sector": "industry", "niche_since": 2020, "founded_on": "2018-06-30"},
    "metrics": QUALIFIES_FOR_INNOVATIVE_METRICS,
    "designations": {},
}


@pytest.fixture
def explanations(db):
    call_command("bootstrap", verbosity=0, stdout=io.StringIO())
    results = evaluate_record(record=QUALIFIES_FOR_INNOVATIVE, as_of=dt.date(2026, 5, 1), region_code="320500")
    return {result["tier"]: result for result in results}


def test_a_title_to_obtain_first_is_the_named_next_step(explanations):
    html = explanation_html(explanations["specialized_sme"])
    assert "先取得创新型中小企业称号（当前已满足条件）" in html
    assert "MIIT-2026-2-A1-R2</strong>（新申请）" in html


def test_a_direct_pass_says_so_next_to_its_score(explanations):
    assert "凭直通条件符合" in explanation_html(explanations["innovative_sme"])


def test_criteria_that_cannot_be_changed_are_tagged_and_listed_last(explanations):
    record = {
        "attributes": {"founded_on": "2012-03-01", "listed": True, "vc_backed": False},
        "metrics": [{"fiscal_year": 2025, "valuation_usd": 2e9, "cumulative_financing_usd": 1e8}],
    }
    (unicorn,) = evaluate_record(record=record, as_of=dt.date(2026, 5, 1), tiers=["unicorn"])
    html = explanation_html(unicorn)
    backed, listed, age = (html.index(text) for text in ("获得过专业投资机构私募投资", "未上市：", "成立10年以内："))
    assert backed < listed < age and html.count(">无法通过经营改变</span>") == 2
    assert "已超过10年的期限（2022-03-02起不再满足）" in html


def test_the_notes_follow_the_language(explanations):
    with translation.override("en"):
        html = explanation_html(explanations["specialized_sme"])
    assert "First obtain the Innovative SME title (its criteria are met now)" in html
