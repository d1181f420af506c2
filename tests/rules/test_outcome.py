"""TierOutcome arrays: tier dependencies, failing_count, shortfall, near_miss and the bit arrays."""

import numpy as np
import pytest

from tracker.rules import DefinitionError, evaluate, unpack_bits

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


def test_near_miss_when_failing_by_one_criterion():
    out = run(THREE, {"revenue": 10, "rd_expense": 10, "own_brand": True})
    assert bool(out.near_miss[0])


def test_near_miss_when_the_shortfall_is_within_tolerance_despite_two_failures():
    out = run(THREE, {"revenue": 95, "rd_expense": 9.5, "own_brand": True})
    assert int(out.failing_count[0]) == 2 and bool(out.near_miss[0])


def test_not_a_near_miss_with_two_failures_beyond_tolerance():
    out = run(THREE, {"revenue": 80, "rd_expense": 5, "own_brand": True})
    assert not out.near_miss[0]


def test_the_near_miss_tolerance_is_configurable():
    out = run(THREE, {"revenue": 80, "rd_expense": 8, "own_brand": True}, near_miss_tolerance=0.25)
    assert bool(out.near_miss[0])


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
