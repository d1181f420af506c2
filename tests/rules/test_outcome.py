"""TierOutcome arrays: tier dependencies, failing_count, shortfall, near_miss and the bit arrays."""

import datetime as dt

import numpy as np
import pytest

from tracker.rules import DefinitionError, NearMiss, evaluate, unpack_bits

from .builders import AS_OF, SIZE, all_, any_, bands, criterion, facts, not_, ruleset, run, score, tier_node


def test_fiscal_year_defaults_to_the_year_before_as_of():
    out = run(criterion("r", "revenue", "gte", 1), {"revenue": {2025: 5, 2026: None}})
    assert out.status_name(0) == "eligible"


def test_an_explicit_fiscal_year_moves_every_window():
    out = run(criterion("r", "revenue", "gte", 1), {"revenue": {2025: 5}}, fiscal_year=2026)
    assert out.status_name(0) == "insufficient_data"


def test_a_tier_node_reads_the_other_tiers_result_from_the_same_evaluation():
    base = ruleset(criterion("r", "revenue", "gte", 100), tier="base")
    upper = ruleset(all_("root", tier_node("needs_base", "base"), criterion("p", "net_profit", "gte", 0)),
                    tier="upper")
    rows = facts({"revenue": 200, "net_profit": 1}, {"revenue": 50, "net_profit": 1},
                 {"revenue": None, "net_profit": 1})
    # Dependency order is independent of the dict order.
    outcomes = evaluate({"upper": upper, "base": base}, rows, as_of=AS_OF, parameters=SIZE)
    assert [outcomes["upper"].status_name(i) for i in range(3)] == ["eligible", "not_eligible",
                                                                    "insufficient_data"]


@pytest.mark.parametrize(("require", "designated", "eligible", "expected"), [
    ("designated", True, False, "eligible"), ("designated", False, True, "not_eligible"),
    ("either", True, False, "eligible"), ("either", False, True, "eligible"),
    ("either", False, False, "not_eligible"), ("eligible", True, False, "not_eligible"),
])
def test_tier_requirements(require, designated, eligible, expected):
    base = ruleset(criterion("r", "revenue", "gte", 100), tier="base")
    upper = ruleset(tier_node("needs", "base", require), tier="upper")
    row = {"revenue": 200 if eligible else 50, "designations": ["base"] if designated else []}
    outcome = evaluate({"base": base, "upper": upper}, facts(row), as_of=AS_OF, parameters=SIZE)["upper"]
    assert outcome.status_name(0) == expected


def test_requiring_eligibility_in_a_tier_not_evaluated_is_unknown():
    out = run(tier_node("needs", "elsewhere", "eligible"), {})
    assert out.status_name(0) == "insufficient_data"


def test_evaluate_rejects_a_cycle_of_tiers():
    a = ruleset(tier_node("needs_b", "b"), tier="a")
    b = ruleset(tier_node("needs_a", "a"), tier="b")
    with pytest.raises(DefinitionError, match="cycle"):
        evaluate({"a": a, "b": b}, facts({}), as_of=AS_OF, parameters=SIZE)


THREE = all_("root", criterion("rev", "revenue", "gte", 100), criterion("rd", "rd_expense", "gte", 10),
             criterion("brand", "own_brand", "is_true"))


def test_failing_count_of_all_sums_its_failing_children():
    out = run(THREE, {"revenue": 50, "rd_expense": 5, "own_brand": True})
    assert int(out.failing_count[0]) == 2


def test_shortfall_of_all_is_the_largest_relative_gap():
    out = run(THREE, {"revenue": 95, "rd_expense": 8, "own_brand": True})
    assert out.shortfall[0] == pytest.approx(0.2)  # rd: (10 - 8) / 10


def test_a_failed_yes_no_criterion_has_shortfall_one():
    out = run(THREE, {"revenue": 100, "rd_expense": 10, "own_brand": False})
    assert out.shortfall[0] == 1.0


def test_a_shortfall_against_a_zero_threshold_is_read_on_the_variables_own_scale():
    growth = criterion("g", "revenue_growth", "gt", 0)
    out = run(growth, {"revenue": {2025: 96.2, 2024: 100}})  # −3.8 %: 3.8 percentage points short
    assert out.shortfall[0] == pytest.approx(0.038)


def test_near_misses_against_zero_thresholds_sort_by_their_distance():
    growth = criterion("g", "revenue_growth", "gt", 0)
    out = run(growth, {"revenue": {2025: 96.2, 2024: 100}}, {"revenue": {2025: 99.5, 2024: 100}},
              {"revenue": {2025: 70, 2024: 100}})
    assert np.argsort(out.shortfall).tolist() == [1, 0, 2]
    assert out.near_miss.tolist() == [True, True, False]


def test_a_value_exactly_at_a_strict_bar_is_one_precision_step_short():
    out = run(criterion("g", "revenue_growth", "gt", 0), {"revenue": {2025: 100, 2024: 100}})
    assert out.shortfall[0] == pytest.approx(0.0001)  # 0.01 percentage points, the precision of a ratio


def test_any_prefers_a_branch_the_enterprise_can_act_on():
    too_old = all_("young", criterion("young_age", "company_age", "lte", 5),
                   criterion("young_val", "valuation_usd", "gte", 100))
    short = all_("older", criterion("older_val", "valuation_usd", "gte", 500))
    out = run(any_("root", too_old, short), {"founded_on": dt.date(2018, 5, 1), "valuation_usd": 300})
    assert (int(out.failing_count[0]), int(out.fixed_count[0]), out.shortfall[0]) == (1, 0, pytest.approx(0.4))
    assert [f["id"] for f in out.explain(0)["gaps"]["failing"]] == ["older_val"]


def test_any_takes_its_closest_branch():
    two_failing = all_("a", criterion("a1", "revenue", "gte", 100), criterion("a2", "rd_expense", "gte", 10))
    definition = any_("root", two_failing, criterion("b", "net_profit", "gte", 100))
    out = run(definition, {"revenue": 50, "rd_expense": 5, "net_profit": 60})
    assert (int(out.failing_count[0]), out.shortfall[0]) == (1, pytest.approx(0.4))


def test_passing_rows_have_no_failing_criteria_or_shortfall():
    out = run(THREE, {"revenue": 100, "rd_expense": 10, "own_brand": True})
    assert (int(out.failing_count[0]), float(out.shortfall[0]), bool(out.near_miss[0])) == (0, 0.0, False)


def test_a_score_shortfall_is_points_short_over_min_total():
    definition = score("s", [bands("rd", "rd_ratio", [(0.05, 20), (0.03, 15)])], 20)
    out = run(definition, {"rd_expense": 3, "revenue": 100})
    assert out.shortfall[0] == pytest.approx(0.25)


def test_near_miss_when_one_criterion_fails_within_the_tolerance():
    out = run(THREE, {"revenue": 90, "rd_expense": 10, "own_brand": True})  # 10 % short of revenue
    assert bool(out.near_miss[0])


def test_not_a_near_miss_when_the_one_failing_criterion_is_far_from_its_bar():
    out = run(THREE, {"revenue": 10, "rd_expense": 10, "own_brand": True})  # 90 % short
    assert int(out.failing_count[0]) == 1 and not out.near_miss[0]


def test_not_a_near_miss_when_a_yes_no_criterion_fails():
    out = run(THREE, {"revenue": 100, "rd_expense": 10, "own_brand": False})
    assert not out.near_miss[0]


def test_near_miss_with_two_failures_each_within_the_tolerance():
    out = run(THREE, {"revenue": 95, "rd_expense": 9.5, "own_brand": True})
    assert int(out.failing_count[0]) == 2 and bool(out.near_miss[0])


def test_not_a_near_miss_with_three_failures_however_close():
    definition = all_("root", criterion("rev", "revenue", "gte", 100), criterion("rd", "rd_expense", "gte", 10),
                      criterion("profit", "net_profit", "gte", 10))
    out = run(definition, {"revenue": 99, "rd_expense": 9.9, "net_profit": 9.9})
    assert int(out.failing_count[0]) == 3 and not out.near_miss[0]


def test_not_a_near_miss_with_two_failures_beyond_tolerance():
    out = run(THREE, {"revenue": 80, "rd_expense": 5, "own_brand": True})
    assert not out.near_miss[0]


def test_not_a_near_miss_when_a_failing_criterion_cannot_be_changed():
    definition = all_("root", criterion("rev", "revenue", "gte", 100), criterion("age", "company_age", "lte", 5))
    out = run(definition, {"revenue": 99, "founded_on": dt.date(2021, 4, 30)})  # 5 years and a day old
    assert (int(out.failing_count[0]), int(out.fixed_count[0]), bool(out.near_miss[0])) == (2, 1, False)


def test_the_near_miss_tolerance_and_the_number_of_failures_are_configurable():
    row = {"revenue": 80, "rd_expense": 8, "own_brand": True}
    assert not run(THREE, row).near_miss[0]
    assert bool(run(THREE, row, near_miss=NearMiss(tolerance=0.25)).near_miss[0])
    assert not run(THREE, row, near_miss=NearMiss(tolerance=0.25, max_failing=1)).near_miss[0]


def test_a_title_the_enterprise_qualifies_for_but_does_not_hold_is_one_step_away():
    base = ruleset(criterion("r", "revenue", "gte", 100), tier="base")
    upper = ruleset(all_("root", tier_node("needs", "base", "designated"), criterion("p", "net_profit", "gte", 0)),
                    tier="upper")
    rows = facts({"revenue": 200, "net_profit": 1}, {"revenue": 50, "net_profit": 1})
    out = evaluate({"base": base, "upper": upper}, rows, as_of=AS_OF, parameters=SIZE)["upper"]
    assert out.status_name(0) == out.status_name(1) == "not_eligible"
    assert (float(out.shortfall[0]), bool(out.near_miss[0])) == (0.0, True)
    assert (float(out.shortfall[1]), bool(out.near_miss[1])) == (1.0, False)


def test_an_exclusion_cannot_be_changed():
    definition = not_("n", criterion("listed", "listed", "is_true"))
    out = run(definition, {"listed": True})
    assert (int(out.fixed_count[0]), bool(out.near_miss[0])) == (1, False)


def test_eligible_and_unknown_rows_are_never_near_misses():
    out = run(THREE, {"revenue": 100, "rd_expense": 10, "own_brand": True}, {"revenue": 100, "rd_expense": 10})
    assert out.near_miss.tolist() == [False, False]


def test_bits_mark_failed_and_unknown_nodes_by_node_index():
    definition = all_("root", criterion("rev", "revenue", "gte", 100), criterion("rd", "rd_expense", "gte", 10),
                      not_("n", criterion("listed", "listed", "is_true")))
    out = run(definition, {"revenue": 50, "listed": False})
    assert out.ruleset.node_index == ("root", "rev", "rd", "n", "listed")
    failed = unpack_bits(out.failed_bits, 5)[0].tolist()
    unknown = unpack_bits(out.unknown_bits, 5)[0].tolist()
    assert failed == [True, True, False, False, True]
    assert unknown == [False, False, True, False, False]
    assert out.node_outcomes(0) == {"root": "failed", "rev": "failed", "rd": "unknown", "n": "passed",
                                    "listed": "failed"}


def test_bit_arrays_have_one_byte_per_eight_nodes():
    children = [criterion(f"c{i}", "revenue", "gte", i) for i in range(9)]
    out = run(all_("root", *children), {"revenue": 3}, {"revenue": 100})
    assert out.failed_bits.shape == (2, 2) and out.failed_bits.dtype == np.uint8
    assert unpack_bits(out.failed_bits, 10)[0].tolist() == [True] + [i > 3 for i in range(9)]
