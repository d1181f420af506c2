from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from tracker.admin import display
from tracker.admin.ruleset_table import threshold_text


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (Decimal("123456700"), "1.23 亿元"),
        (Decimal("123456700.00"), "1.23 亿元"),
        (Decimal("123456789"), "1.23 亿元"),
        (Decimal("99999999"), "10,000.00 万元"),
        (Decimal("123456700") / 1000, "12.35 万元"),
        (Decimal("-5000000"), "-500.00 万元"),
        (None, "—"),
    ],
)
def test_it_shows_amounts_in_wan_or_yi(yuan, shown):
    with translation.override("zh-hans"):
        assert display.amount(yuan) == shown


def test_it_shows_thousands_separators_below_one_yi():
    with translation.override("zh-hans"):
        assert display.amount(Decimal("99999999.99")) == "10,000.00 万元"
        assert display.amount(Decimal("12345670")) == "1,234.57 万元"


@pytest.mark.parametrize(("fraction", "shown"), [(Decimal("0.125"), "12.50%"), (0.03, "3.00%"), (None, "—")])
def test_it_shows_ratios_in_percent(fraction, shown):
    assert display.ratio(fraction) == shown


@pytest.mark.parametrize(("value", "shown"), [(True, "✓"), (False, "✗"), (None, "—")])
def test_it_shows_booleans_and_missing(value, shown):
    assert display.boolean(value) == shown


def test_it_shows_dates_as_iso():
    assert display.day(date(2026, 4, 1)) == "2026-04-01"


def test_thresholds_are_formatted_by_the_variables_unit():
    with translation.override("zh-hans"):
        assert threshold_text("revenue", "gte", 10_000_000) == "1,000.00 万元"
        assert threshold_text("rd_ratio", "gte", 0.03) == "3.00%"
        assert threshold_text("valuation_usd", "gte", 1_000_000_000) == "10.00 亿美元"
        assert threshold_text("years_in_niche", "gte", 2) == "2"
        assert threshold_text("rd_institution_level", "gte", "provincial") == "省级（省部级）"
        assert threshold_text("debt_ratio", "between", [0.1, 0.7]) == "[10.00%, 70.00%]"


def test_english_readers_get_millions_and_billions():
    with translation.override("en"):
        assert display.amount(Decimal("12345670")) == "CNY 12.35 m"
        assert display.amount(Decimal("2500000000")) == "CNY 2.50 bn"


@pytest.mark.parametrize(
    ("reference", "shown"),
    [
        ("工信部企业〔2022〕63号 附件3 (四); criteria.md §1.4 (HIGH)", "工信部企业〔2022〕63号 附件3 (四)"),
        ("江苏省瞪羚企业 定量指标 (1) (rbko.cn reprint, LOW; seeds/README.md)", "江苏省瞪羚企业 定量指标 (1)"),
        ("先进制造业集群竞赛胜出集群；criteria.md §5.3 (HIGH)。", "先进制造业集群竞赛胜出集群"),
        ("GEI 2025 call (P6); criteria.md §3 (HIGH)", ""),
    ],
)
def test_a_policy_basis_names_the_document_not_internal_notes(reference, shown):
    assert str(display.policy_basis(reference)) == shown


def test_a_cited_address_becomes_a_link():
    html = str(display.policy_basis("苏工信中小〔2025〕131号 https://example.gov.cn/notice.html"))
    assert html == '<a href="https://example.gov.cn/notice.html" rel="noopener noreferrer" target="_blank">苏工信中小〔2025〕131号</a>'
