"""explain(i): the full per-enterprise explanation rebuilt from the outcome arrays."""

import json

import pytest

from .builders import all_, any_, bands, criterion, run, score, sum_

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
