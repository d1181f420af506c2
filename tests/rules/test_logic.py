"""Three-valued logic and the operators of test nodes."""

import datetime as dt

import pytest

from .builders import all_, any_, criterion, not_, status

PASS = {"revenue": 200}
FAIL = {"revenue": 50}
UNKNOWN = {"revenue": None}


def rev(node_id="r"):
    return criterion(node_id, "revenue", "gte", 100)


@pytest.mark.parametrize(("a", "b", "expected"), [
    (PASS, PASS, "eligible"), (PASS, FAIL, "not_eligible"), (PASS, UNKNOWN, "insufficient_data"),
    (FAIL, FAIL, "not_eligible"), (FAIL, UNKNOWN, "not_eligible"), (UNKNOWN, UNKNOWN, "insufficient_data"),
])
def test_all_fails_on_any_failure_and_is_otherwise_unknown_on_any_unknown(a, b, expected):
    definition = all_("root", criterion("a", "revenue", "gte", 100), criterion("b", "rd_expense", "gte", 100))
    row = {"revenue": a["revenue"], "rd_expense": b["revenue"]}
    assert status(definition, row) == [expected]


@pytest.mark.parametrize(("a", "b", "expected"), [
    (PASS, PASS, "eligible"), (PASS, FAIL, "eligible"), (PASS, UNKNOWN, "eligible"),
    (FAIL, FAIL, "not_eligible"), (FAIL, UNKNOWN, "insufficient_data"), (UNKNOWN, UNKNOWN, "insufficient_data"),
])
def test_any_passes_on_any_pass_and_fails_only_when_all_fail(a, b, expected):
    definition = any_("root", criterion("a", "revenue", "gte", 100), criterion("b", "rd_expense", "gte", 100))
    row = {"revenue": a["revenue"], "rd_expense": b["revenue"]}
    assert status(definition, row) == [expected]


@pytest.mark.parametrize(("row", "expected"), [
    (PASS, "not_eligible"), (FAIL, "eligible"), (UNKNOWN, "insufficient_data")])
def test_not_inverts_pass_and_fail_and_keeps_unknown(row, expected):
    assert status(not_("root", rev()), row) == [expected]


def test_a_missing_revenue_makes_the_revenue_test_unknown():
    assert status(rev(), {"revenue": None}) == ["insufficient_data"]


def test_a_missing_metric_is_never_read_as_zero():
    # lte 0 would pass if missing were zero.
    assert status(criterion("r", "revenue", "lte", 0), {"rd_expense": 1}) == ["insufficient_data"]


@pytest.mark.parametrize(("op", "threshold", "below", "at", "above"), [
    ("gte", 100, "not_eligible", "eligible", "eligible"),
    ("gt", 100, "not_eligible", "not_eligible", "eligible"),
    ("lte", 100, "eligible", "eligible", "not_eligible"),
    ("lt", 100, "eligible", "not_eligible", "not_eligible"),
    ("eq", 100, "not_eligible", "eligible", "not_eligible"),
    ("ne", 100, "eligible", "not_eligible", "eligible"),
    ("between", [100, 101], "not_eligible", "eligible", "not_eligible"),
    ("in", [100, 7], "not_eligible", "eligible", "not_eligible"),
])
def test_each_numeric_operator_on_both_sides_of_its_threshold_with_inclusive_edges(op, threshold, below, at,
                                                                                  above):
    definition = criterion("r", "revenue", op, threshold)
    assert status(definition, {"revenue": 99}, {"revenue": 100}, {"revenue": 102}) == [below, at, above]


def test_between_includes_its_upper_edge():
    assert status(criterion("r", "revenue", "between", [1, 5]), {"revenue": 5}) == ["eligible"]


@pytest.mark.parametrize("op", ["gte", "gt", "lte", "lt", "eq", "ne", "between", "in"])
def test_every_operator_is_unknown_on_a_missing_value(op):
    threshold = [1, 2] if op in ("between", "in") else 1
    assert status(criterion("r", "revenue", op, threshold), UNKNOWN) == ["insufficient_data"]


@pytest.mark.parametrize(("op", "value", "expected"), [
    ("is_true", True, "eligible"), ("is_true", False, "not_eligible"), ("is_true", None, "insufficient_data"),
    ("is_false", False, "eligible"), ("is_false", True, "not_eligible"), ("is_false", None, "insufficient_data"),
])
def test_boolean_operators(op, value, expected):
    assert status(criterion("b", "own_brand", op), {"own_brand": value}) == [expected]


@pytest.mark.parametrize(("value", "expected"), [
    ("city", "not_eligible"), ("provincial", "eligible"), ("national", "eligible"), (None, "insufficient_data")])
def test_ordinal_thresholds_compare_by_the_order_of_choices(value, expected):
    definition = criterion("lvl", "rd_institution_level", "gte", "provincial")
    assert status(definition, {"rd_institution_level": value}) == [expected]


def test_category_in_matches_listed_choices_only():
    definition = criterion("g", "cluster_group", "in", ["international", "future"])
    rows = [{"cluster_group": "future"}, {"cluster_group": "national_leading"}, {"cluster_group": None}]
    assert status(definition, *rows) == ["eligible", "not_eligible", "insufficient_data"]


def test_date_attributes_compare_with_iso_thresholds():
    definition = criterion("f", "founded_on", "gte", "2020-01-01")
    rows = [{"founded_on": dt.date(2019, 12, 31)}, {"founded_on": "2020-01-01"}]
    assert status(definition, *rows) == ["not_eligible", "eligible"]


@pytest.mark.parametrize(("op", "expected"), [("gte", "eligible"), ("gt", "not_eligible"),
                                              ("lte", "eligible"), ("lt", "not_eligible")])
def test_a_value_at_the_edge_up_to_float_noise_counts_as_the_edge(op, expected):
    # 0.1 + 0.2 is 0.30000000000000004 in binary floating point: still "exactly 30%".
    definition = criterion("r", "niche_market_share", op, 0.3)
    assert status(definition, {"niche_market_share": 0.1 + 0.2}) == [expected]


def test_one_fen_below_a_money_threshold_still_fails():
    definition = criterion("r", "revenue", "gte", 5_000_000_000)
    assert status(definition, {"revenue": 4_999_999_999.99}) == ["not_eligible"]
