"""Validation of definitions: every error names the node at fault."""

import pytest

from tracker.rules import DefinitionError, parse_definition, validate_rulesets
from tracker.rules.definition import iter_nodes

from .builders import all_, any_, bands, criterion, label, ruleset, score, sum_, tier_node


def error_of(definition) -> DefinitionError:
    with pytest.raises(DefinitionError) as info:
        parse_definition(definition)
    return info.value


def test_a_valid_tree_parses_into_nodes_in_tree_order():
    root = parse_definition(all_("root", criterion("a", "revenue", "gte", 1), any_("b", criterion("c", "listed",
                                                                                                  "is_false"))))
    assert [n.id for n in iter_nodes(root)] == ["root", "a", "b", "c"]


def test_an_unknown_kind_is_rejected_naming_the_node():
    err = error_of({"id": "x", "kind": "maybe", "label": label()})
    assert (err.node_id, "unknown kind" in err.message) == ("x", True)


def test_an_unknown_variable_is_rejected_naming_the_node():
    err = error_of(all_("root", criterion("rd_ratio_2y", "rd_ratoi", "gte", 0.03)))
    assert err.node_id == "rd_ratio_2y"
    assert str(err) == 'node "rd_ratio_2y": unknown variable "rd_ratoi"'


def test_an_unknown_operator_is_rejected():
    assert error_of(criterion("a", "revenue", "regex", "x")).node_id == "a"


def test_an_order_operator_on_a_category_is_rejected():
    err = error_of(criterion("grp", "cluster_group", "gte", "future"))
    assert err.node_id == "grp" and "does not fit" in err.message


def test_is_true_on_money_is_rejected():
    err = error_of(criterion("rev", "revenue", "is_true"))
    assert err.node_id == "rev" and "does not fit" in err.message


def test_a_threshold_that_is_not_a_choice_is_rejected():
    err = error_of(criterion("lvl", "rd_institution_level", "gte", "ministerial"))
    assert err.node_id == "lvl" and "not a choice" in err.message


@pytest.mark.parametrize("threshold", ["ten", True, None, [1]])
def test_a_numeric_threshold_must_be_a_number(threshold):
    node = criterion("rev", "revenue", "gte")
    node["threshold"] = threshold
    assert error_of(node).node_id == "rev"


def test_between_needs_an_ordered_pair():
    assert error_of(criterion("b", "revenue", "between", [5, 1])).node_id == "b"


def test_is_true_takes_no_threshold():
    assert error_of(criterion("b", "own_brand", "is_true", 1)).node_id == "b"


def test_duplicate_ids_are_rejected_naming_the_duplicate():
    err = error_of(all_("root", criterion("a", "revenue", "gte", 1), criterion("a", "revenue", "lte", 9)))
    assert (err.node_id, err.message) == ("a", "duplicate id")


def test_an_indicator_id_may_not_repeat_a_node_id():
    indicator = bands("rd", "rd_ratio", [(0.05, 5)])
    definition = all_("root", criterion("rd", "revenue", "gte", 1), score("s", [indicator], 1))
    assert error_of(definition).node_id == "rd"


def test_a_node_without_id_is_rejected():
    err = error_of({"kind": "all", "label": label(), "children": []})
    assert err.node_id is None and "missing its id" in err.message


def test_a_node_without_label_is_rejected():
    node = criterion("a", "revenue", "gte", 1)
    del node["label"]
    assert error_of(node).node_id == "a"


def test_an_empty_group_is_rejected():
    assert error_of(all_("root")).node_id == "root"


def test_gte_bands_with_rising_thresholds_are_out_of_order():
    ind = bands("rd", "rd_ratio", [(0.03, 15), (0.05, 10)])
    err = error_of(score("s", [ind], 10))
    assert err.node_id == "rd" and "out of order" in err.message


def test_lte_bands_with_falling_thresholds_are_out_of_order():
    ind = bands("debt", "debt_ratio", [(0.75, 10), (0.55, 5)], op="lte")
    assert "out of order" in error_of(score("s", [ind], 10)).message


def test_bands_with_rising_points_are_out_of_order():
    ind = bands("rd", "rd_ratio", [(0.05, 10), (0.03, 15)], max_points=15)
    assert "points must not increase" in error_of(score("s", [ind], 10)).message


def test_an_indicator_in_an_unknown_dimension_is_rejected():
    err = error_of(score("s", [bands("rd", "rd_ratio", [(0.05, 5)], dimension="growth")], 5))
    assert err.node_id == "rd" and "unknown dimension" in err.message


def test_duplicate_dimension_ids_are_rejected_naming_the_score():
    definition = score("s", [bands("rd", "rd_ratio", [(0.05, 5)])], 5, dimensions=(("d", 0), ("d", 1)))
    assert error_of(definition).node_id == "s"


def test_a_score_without_min_total_is_rejected():
    definition = score("s", [bands("rd", "rd_ratio", [(0.05, 5)])], 5)
    del definition["min_total"]
    assert error_of(definition).node_id == "s"


def test_a_sum_item_with_a_bad_operator_names_the_item():
    ind = sum_("q", [("q1", "own_brand", "gte", 1, 3)], 5)
    assert error_of(score("s", [ind], 1)).node_id == "q1"


def test_an_empty_sum_is_valid_and_scores_nothing():
    root = parse_definition(score("s", [sum_("local", [], 15)], 0))
    assert root.indicators[0].items == ()


def test_an_unknown_tier_requirement_is_rejected():
    assert error_of(tier_node("pre", "innovative_sme", require="maybe")).node_id == "pre"


def test_a_cycle_between_tiers_is_rejected_naming_a_node_on_it():
    a = ruleset(all_("root_a", tier_node("needs_b", "b")), tier="a")
    b = ruleset(all_("root_b", tier_node("needs_a", "a")), tier="b")
    with pytest.raises(DefinitionError) as info:
        validate_rulesets([a, b])
    assert info.value.node_id in {"needs_a", "needs_b"}
    assert "cycle" in info.value.message


def test_a_tier_requiring_itself_is_a_cycle():
    with pytest.raises(DefinitionError):
        validate_rulesets([ruleset(tier_node("self", "t"), tier="t")])


def test_a_chain_of_tiers_without_a_cycle_validates():
    a = ruleset(tier_node("needs_b", "b"), tier="a")
    b = ruleset(tier_node("needs_c", "c", require="designated"), tier="b")
    validate_rulesets([a, b])


def test_a_label_with_a_key_other_than_zh_and_en_is_rejected():
    import pytest

    from tracker.rules import DefinitionError, parse_definition

    node = {"id": "r", "kind": "test", "label": {"zh": "营收", "en": "Revenue", " 2": "x"},
            "reference": "x", "variable": "revenue", "op": "gte", "threshold": 1}
    with pytest.raises(DefinitionError, match='node "r": label has unexpected keys'):
        parse_definition(node)


def test_an_error_carries_the_path_of_the_node_at_fault():
    err = error_of(all_("root", criterion("a", "revenue", "gte", 1), any_("b", criterion("c", "revenu", "gte", 1))))
    assert err.path == ("children", 1, "children", 0)


def test_a_node_without_an_id_is_located_by_its_path():
    err = error_of(all_("root", criterion("a", "revenue", "gte", 1), {"kind": "test", "label": label()}))
    assert err.node_id is None and err.path == ("children", 1)


def test_a_band_out_of_order_is_located_at_that_band():
    bad = bands("share", "main_business_share", [(0.7, 5), (0.8, 3)])
    err = error_of(score("s", [bad], 10))
    assert err.node_id == "share" and err.path == ("indicators", 0, "bands", 1)


def test_paths_read_like_yaml_paths():
    from tracker.rules.definition import format_path

    assert format_path(("children", 2, "children", 0)) == "children[2].children[0]"
    assert format_path(("indicators", 0, "bands", 1)) == "indicators[0].bands[1]"
    assert format_path(()) == ""
