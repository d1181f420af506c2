"""Score nodes: bands, sums, max, dimension minimums and intervals for missing indicators."""

import numpy as np
import pytest

from .builders import bands, run, score, sum_

RD = bands("rd", "rd_ratio", [(0.05, 20), (0.03, 15), (0.02, 10), (0.01, 5)])
DEBT = bands("debt", "debt_ratio", [(0.55, 10), (0.75, 5)], op="lte")
SEI = {"id": "sei", "kind": "bands", "label": {"zh": "x", "en": "x"}, "dimension": "d", "variable": "sei_field",
       "max_points": 10, "otherwise": 5, "bands": [{"op": "is_true", "points": 10}]}


def points(definition, row):
    out = run(definition, row)
    return float(out.score[0]), out.status_name(0)


@pytest.mark.parametrize(("rd_expense", "expected"), [
    (6, 20), (5, 20), (4.9, 15), (3, 15), (2, 10), (1, 5), (0.5, 0)])
def test_the_first_passing_band_gives_its_points_and_edges_score_in_the_higher_band(rd_expense, expected):
    assert points(score("s", [RD], 0), {"rd_expense": rd_expense, "revenue": 100})[0] == expected


@pytest.mark.parametrize(("liabilities", "expected"), [(55, 10), (56, 5), (75, 5), (76, 0)])
def test_lte_bands_score_low_debt_highest(liabilities, expected):
    assert points(score("s", [DEBT], 0), {"total_liabilities": liabilities, "total_assets": 100})[0] == expected


def test_otherwise_points_apply_when_no_band_passes():
    assert points(score("s", [SEI], 0), {"sei_field": False})[0] == 5


def test_a_sum_adds_passing_items_up_to_its_cap():
    quality = sum_("q", [(f"q{i}", v, "is_true", None, 3) for i, v in
                         enumerate(("quality_award", "qms_certified", "own_brand"))], 5)
    assert points(score("s", [quality], 0), {"quality_award": True, "qms_certified": False, "own_brand": False})[0] == 3
    assert points(score("s", [quality], 0), {"quality_award": True, "qms_certified": True, "own_brand": True})[0] == 5


def test_a_max_indicator_takes_its_best_item():
    ind = {"id": "rdm", "kind": "max", "label": {"zh": "x", "en": "x"}, "dimension": "d", "max_points": 10,
           "items": [bands("total", "rd_expense", [(5e6, 10), (1e6, 2)], dimension=None),
                     bands("share", "rd_ratio", [(0.10, 10), (0.03, 2)], dimension=None)]}
    assert points(score("s", [ind], 0), {"rd_expense": 1.2e6, "revenue": 1e7})[0] == 10


def test_the_total_must_reach_min_total():
    definition = score("s", [RD, DEBT], 25)
    assert points(definition, {"rd_expense": 3, "revenue": 100, "total_liabilities": 50, "total_assets": 100}) == \
        (25.0, "eligible")
    assert points(definition, {"rd_expense": 2, "revenue": 100, "total_liabilities": 50, "total_assets": 100}) == \
        (20.0, "not_eligible")


def test_a_dimension_below_its_minimum_fails_despite_a_high_total():
    rd = dict(RD, dimension="innovation")
    debt = dict(DEBT, dimension="finance")
    definition = score("s", [rd, debt], 20, dimensions=(("innovation", 15), ("finance", 0)))
    row = {"rd_expense": 2, "revenue": 100, "total_liabilities": 50, "total_assets": 100}
    assert points(definition, row) == (20.0, "not_eligible")


def score_range(definition, row):
    """(reported score, its possible range, status) of one row."""
    out = run(definition, row)
    explanation = out.explain(0)
    rng = explanation["score_range"]
    return explanation["score"], (rng["low"], rng["high"]), out.status_name(0)


def test_a_missing_indicator_that_could_still_pass_makes_the_score_unknown():
    definition = score("s", [RD, DEBT], 25)
    # rd 20 + debt in [0, 10]: lowest total 20 < 25 <= highest total 30.
    assert score_range(definition, {"rd_expense": 5, "revenue": 100}) == (None, (20, 30), "insufficient_data")


def test_a_missing_indicator_cannot_rescue_a_score_too_low_even_at_max_points():
    definition = score("s", [RD, DEBT], 25)
    # rd 5 + debt at most 10 = 15 < 25.
    assert score_range(definition, {"rd_expense": 1, "revenue": 100}) == (None, (5, 15), "not_eligible")


def test_a_missing_indicator_does_not_matter_when_the_rest_already_passes():
    definition = score("s", [RD, DEBT], 20)
    assert score_range(definition, {"rd_expense": 5, "revenue": 100}) == (None, (20, 30), "eligible")


def test_a_missing_indicator_scores_from_otherwise_not_zero():
    assert score_range(score("s", [SEI], 0), {"sei_field": None})[1] == (5, 10)


def test_a_score_is_reported_only_when_every_indicator_is_known():
    out = run(score("s", [RD, DEBT], 20), {"rd_expense": 5, "revenue": 100},
              {"rd_expense": 5, "revenue": 100, "total_liabilities": 50, "total_assets": 100})
    assert np.isnan(out.score[0]) and float(out.score[1]) == 30


POINTS = {"id": "local", "kind": "points", "label": {"zh": "x", "en": "x"}, "dimension": "d",
          "variable": "distinctiveness_points", "max_points": 15}


@pytest.mark.parametrize(("attested", "expected"), [
    (None, (None, (45, 60), "insufficient_data")), (0, (45, (45, 45), "not_eligible")),
    (15, (60, (60, 60), "eligible")), (14.5, (59.5, (59.5, 59.5), "not_eligible")),
    (20, (60, (60, 60), "eligible"))])
def test_attested_points_count_as_given_and_as_the_full_interval_while_unknown(attested, expected):
    base = bands("base", "rd_ratio", [(0.05, 45)], max_points=45)
    definition = score("s", [base, POINTS], 60)
    assert score_range(definition, {"rd_expense": 5, "revenue": 100, "distinctiveness_points": attested}) == expected


def test_attested_points_need_a_number_variable_and_positive_max_points():
    from tracker.rules import DefinitionError, parse_definition

    with pytest.raises(DefinitionError, match="number variable"):
        parse_definition(score("s", [dict(POINTS, variable="own_brand")], 60))
    with pytest.raises(DefinitionError, match="max_points"):
        parse_definition(score("s", [dict(POINTS, max_points=0)], 60))


def test_dimension_scores_report_the_lower_bound_per_dimension():
    rd = dict(RD, dimension="innovation")
    debt = dict(DEBT, dimension="finance")
    out = run(score("s", [rd, debt], 0, dimensions=(("innovation", 0), ("finance", 0))),
              {"rd_expense": 3, "revenue": 100})
    assert {d: float(a[0]) for d, a in out.dimension_scores.items()} == {"innovation": 15, "finance": 0}


def test_a_ruleset_without_a_score_reports_nan():
    import math

    from .builders import criterion

    assert math.isnan(run(criterion("r", "revenue", "gte", 1), {"revenue": 2}).score[0])
