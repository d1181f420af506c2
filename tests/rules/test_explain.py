"""explain(i): the full per-enterprise explanation rebuilt from the outcome arrays."""

import datetime as dt
import json

import pytest

from tracker.rules import evaluate

from .builders import AS_OF, SIZE, all_, any_, bands, criterion, facts, ruleset, run, score, sum_, tier_node

RD = bands("rd", "rd_ratio", [(0.05, 20), (0.03, 15), (0.02, 10)], dimension="inn")
GROWTH = bands("growth", "main_business_growth", [(0.15, 20), (0.10, 15), (0.05, 10)], dimension="gro")
QUALITY = sum_("quality", [("q_qms", "qms_certified", "is_true", None, 10),
                           ("q_brand", "own_brand", "is_true", None, 10)], 20, dimension="gro")
SCORE = score("score", [RD, GROWTH, QUALITY], 45, dimensions=(("inn", 0), ("gro", 0)))
DEF = all_("root", criterion("rev", "revenue", "gte", 1000),
           any_("path", SCORE, criterion("award", "st_award_level_3y", "gte", "provincial")))
ROW = {"revenue": {2025: 900}, "rd_expense": 27, "main_business_revenue": {2025: 107, 2024: 100},
       "qms_certified": False, "own_brand": True}


@pytest.fixture
def explanation():
    return run(DEF, ROW).explain(0)


def node(explanation, node_id):
    return next(n for n in explanation["nodes"] if n["id"] == node_id)


def test_it_lists_every_node_in_tree_order_with_its_outcome(explanation):
    assert [(n["id"], n["outcome"]) for n in explanation["nodes"]] == [
        ("root", "failed"), ("rev", "failed"), ("path", "unknown"), ("score", "failed"), ("award", "unknown")]


def test_a_failing_test_shows_value_threshold_and_gap(explanation):
    rev = node(explanation, "rev")
    assert (rev["value"], rev["op"], rev["threshold"]) == (900, "gte", 1000)
    assert rev["gap"] == {"absolute": 100, "relative": pytest.approx(0.1)}


def test_a_derived_value_shows_numerator_denominator_and_years(explanation):
    rd = node(explanation, "score")["indicators"][0]
    assert rd["value"] == pytest.approx(0.03)
    assert rd["inputs"] == [{"field": "rd_expense", "fiscal_year": 2025, "role": "numerator", "value": 27},
                            {"field": "revenue", "fiscal_year": 2025, "role": "denominator", "value": 900}]


def test_score_indicators_show_their_points(explanation):
    indicators = {i["id"]: i["points"]["low"] for i in node(explanation, "score")["indicators"]}
    assert indicators == {"rd": 15, "growth": 10, "quality": 10}


def test_the_gap_summary_lists_failing_criteria_on_the_closest_path(explanation):
    assert [f["id"] for f in explanation["gaps"]["failing"]] == ["rev"]


def test_facts_to_collect_name_the_missing_facts_and_their_years(explanation):
    collect = explanation["gaps"]["facts_to_collect"]
    assert {(f["field"], f["fiscal_year"]) for f in collect} == {("st_award_level", y) for y in (2025, 2024, 2023)}


def test_score_gaps_give_points_short_and_the_cheapest_band_moves(explanation):
    gap = explanation["gaps"]["scores"][0]
    assert (gap["score"], gap["points_short"]) == (35, 10)
    moves = [(m["indicator"], m["points_gained"], m["needed"]) for m in gap["moves"]]
    # Per point: growth 7% → 10% is 0.3 / 5; rd 3% → 5% is 0.4 / 5; qms (yes/no) is 1.0 / 10.
    assert moves == [("growth", 5, {"op": "gte", "threshold": 0.10}),
                     ("rd", 5, {"op": "gte", "threshold": 0.05})]


def test_band_moves_stop_once_the_shortfall_is_covered():
    gap = run(DEF, {**ROW, "rd_expense": 9}).explain(0)["gaps"]["scores"][0]  # rd 1% → 0 pts, short 25
    assert sum(m["points_gained"] for m in gap["moves"]) >= gap["points_short"]


def test_the_explanation_is_json_serialisable(explanation):
    json.dumps(explanation)


def test_the_summary_fields_match_the_arrays():
    out = run(DEF, ROW, {**ROW, "revenue": {2025: 2000}})
    for i in range(2):
        e = out.explain(i)
        assert (e["status"], e["failing_count"], e["near_miss"]) == (
            out.status_name(i), int(out.failing_count[i]), bool(out.near_miss[i]))


def test_explain_many_explains_each_row():
    out = run(DEF, ROW, ROW)
    assert len(out.explain_many([0, 1])) == 2


def test_a_gap_at_float_noise_is_reported_as_one_step_of_the_variables_precision():
    ratio = criterion("r", "rd_ratio", "gte", 0.03)
    money = criterion("m", "revenue", "gte", 1000)
    out = run(all_("root", ratio, money), {"rd_expense": 2.9999999, "revenue": 99.99999999},
              {"rd_expense": 30, "revenue": 999.999999})
    assert node(out.explain(0), "r")["gap"]["absolute"] == 0.0001  # 0.01 percentage points, not 1e-9
    assert node(out.explain(1), "m")["gap"]["absolute"] == 0.01  # a fen, not 1e-6


def test_gaps_are_rounded_to_the_variables_precision():
    out = run(criterion("m", "revenue", "gte", 1000), {"revenue": 876.54321})
    assert node(out.explain(0), "m")["gap"]["absolute"] == 123.46


def test_a_direct_pass_reports_the_score_when_computable_and_says_it_passed_directly():
    awarded = dict.fromkeys((2025, 2024, 2023), "provincial")
    e = run(DEF, {**ROW, "revenue": {2025: 2000}, "rd_expense": 60, "st_award_level": awarded}).explain(0)
    assert (e["status"], e["score"], e["passed_directly"]) == ("eligible", 35, True)


def test_a_direct_pass_without_the_score_facts_reports_no_score_rather_than_zero():
    row = {"revenue": {2025: 2000}, "st_award_level": dict.fromkeys((2025, 2024, 2023), "provincial")}
    e = run(DEF, row).explain(0)
    assert (e["status"], e["score"], e["passed_directly"]) == ("eligible", None, True)
    assert e["score_range"]["low"] == 0 and e["score_range"]["high"] == 60


def test_a_pass_by_the_score_is_not_a_direct_pass():
    e = run(DEF, {**ROW, "revenue": {2025: 2000}, "rd_expense": 60, "qms_certified": True}).explain(0)
    assert (e["status"], e["score"], e["passed_directly"]) == ("eligible", 45, False)


def test_facts_under_a_passed_node_are_not_asked_for():
    row = {"revenue": {2025: 2000}, "st_award_level": dict.fromkeys((2025, 2024, 2023), "provincial")}
    assert run(DEF, row).explain(0)["gaps"]["facts_to_collect"] == []


def test_criteria_the_enterprise_can_act_on_come_first_and_the_rest_say_why():
    definition = all_("root", criterion("age", "company_age", "lte", 5), criterion("rev", "revenue", "gte", 1000),
                      criterion("niche", "years_in_niche", "gte", 3))
    failing = run(definition, {"founded_on": dt.date(2019, 1, 15), "revenue": 900, "niche_since": 2024}
                  ).explain(0)["gaps"]["failing"]
    assert [(f["id"], f["actionable"]) for f in failing] == [("rev", True), ("age", False), ("niche", False)]
    assert failing[0]["note"] is None
    assert failing[1]["timing"] == {"kind": "closed", "date": "2024-01-16", "years": 2.29}
    assert failing[1]["note"]["zh"] == "已超过5年的期限（2024-01-16起不再满足），无法通过企业经营改变"
    assert failing[2]["timing"] == {"kind": "met_later", "date": "2028-01-01", "years": 2}
    assert failing[2]["note"]["zh"] == "再经营2年后满足（2028-01-01起）"


def test_a_failed_title_prerequisite_names_the_title_to_obtain_first():
    base = ruleset(criterion("r", "revenue", "gte", 100), tier="base")
    upper = ruleset(tier_node("needs", "base", "designated"), tier="upper")
    names = {"tier_names": {"base": {"zh": "创新型中小企业", "en": "innovative SME"}}, **SIZE}
    out = evaluate({"base": base, "upper": upper}, facts({"revenue": 200}, {"revenue": 50}), as_of=AS_OF,
                   parameters=names)["upper"]
    first, second = (out.explain(i)["gaps"]["failing"][0]["note"] for i in range(2))
    assert first == {"zh": "先取得创新型中小企业称号（当前已满足条件）",
                     "en": "First obtain the innovative SME title (its criteria are met now)"}
    assert second["zh"] == "先取得创新型中小企业称号（当前尚未满足其条件）"
