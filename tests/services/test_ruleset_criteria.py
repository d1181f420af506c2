"""ruleset_criteria_update: a draft's labels, thresholds and references changed row by row."""

import copy

import pytest
from django.core.exceptions import ValidationError

from tracker.models import Ruleset
from tracker.services.ruleset_criteria import criterion_rows, ruleset_criteria_update
from tracker.services.ruleset_errors import DefinitionInvalid
from tracker.services.rulesets import RevisionStale

RD_EXPENSE = "children.0"  # c2_rd_expense
RD_RATIO = "children.1"
SECOND_BAND = "children.2.indicators.0.bands.1"


def test_the_rows_are_the_criteria_with_thresholds_in_tree_order(definition):
    rows = criterion_rows(definition)
    assert [(r.key, r.kind, r.node_id, r.band) for r in rows] == [
        (RD_EXPENSE, "test", "c2_rd_expense", None),
        (RD_RATIO, "test", "c2_rd_ratio", None),
        ("children.2.indicators.0.bands.0", "band", "main_business_share", 0),
        (SECOND_BAND, "band", "main_business_share", 1),
    ]
    assert rows[0].editable == ("label", "threshold", "reference")
    assert rows[2].editable == ("threshold",)  # a band's label and reference are its indicator's


def test_an_edit_changes_only_the_named_thresholds(draft, editor, definition):
    changes = ruleset_criteria_update(
        ruleset=draft,
        edits={RD_EXPENSE: {"threshold": 1_500_000}, SECOND_BAND: {"threshold": 0.65}},
        user=editor,
        expected_revision=1,
    )
    assert [(row.node_id, field) for row, field in changes] == [("c2_rd_expense", "threshold"),
                                                                ("main_business_share", "threshold")]
    draft.refresh_from_db()
    expected = copy.deepcopy(definition)
    expected["children"][0]["threshold"] = 1_500_000
    expected["children"][2]["indicators"][0]["bands"][1]["threshold"] = 0.65
    assert draft.definition == expected
    assert draft.revision == 2
    record = draft.history.first()
    assert record.history_user == editor
    assert "c2_rd_expense" in record.history_change_reason


def test_values_equal_to_the_stored_ones_write_nothing(draft, editor):
    rows = criterion_rows(draft.definition)
    edits = {
        row.key: {"label": row.label["zh"], "threshold": float(row.threshold), "reference": row.reference + " "}
        for row in rows
        if row.kind == "test"
    }
    assert ruleset_criteria_update(ruleset=draft, edits=edits, user=editor) == []
    draft.refresh_from_db()
    assert draft.revision == 1
    assert draft.history.count() == 1  # the creation only


def test_a_label_and_a_reference_change_in_place(draft, editor, definition):
    ruleset_criteria_update(
        ruleset=draft, edits={RD_RATIO: {"label": "研发费用占比不低于5%", "reference": "某省办法 第三条"}}, user=editor
    )
    draft.refresh_from_db()
    node = draft.definition["children"][1]
    assert node["label"] == {"zh": "研发费用占比不低于5%", "en": definition["children"][1]["label"]["en"]}
    assert node["reference"] == "某省办法 第三条"


def test_an_invalid_threshold_is_refused_naming_the_row_and_nothing_is_stored(draft, editor, definition):
    with pytest.raises(DefinitionInvalid) as error:
        # The second band (≥ 70 %) raised above the first (≥ 80 %).
        ruleset_criteria_update(ruleset=draft, edits={SECOND_BAND: {"threshold": 0.9}, RD_EXPENSE: {"threshold": 1}},
                                user=editor)
    assert error.value.path == ("children", 2, "indicators", 0, "bands", 1)
    assert error.value.node_id == "main_business_share"
    assert "分档顺序有误" in error.value.text
    draft.refresh_from_db()
    assert draft.definition == definition and draft.revision == 1


def test_a_threshold_of_the_wrong_type_is_refused_in_chinese(draft, editor, definition):
    with pytest.raises(DefinitionInvalid) as error:
        ruleset_criteria_update(ruleset=draft, edits={RD_RATIO: {"threshold": "三成"}}, user=editor)
    assert error.value.path == ("children", 1)
    assert error.value.text == "变量“rd_ratio”的门槛值 '三成' 须为数字"
    draft.refresh_from_db()
    assert draft.definition == definition


@pytest.mark.parametrize("status", [Ruleset.Status.ACTIVE, Ruleset.Status.RETIRED])
def test_an_active_or_retired_ruleset_cannot_be_edited(draft, editor, definition, status):
    Ruleset.objects.filter(pk=draft.pk).update(status=status)
    with pytest.raises(ValidationError) as error:
        ruleset_criteria_update(ruleset=draft, edits={RD_EXPENSE: {"threshold": 2_000_000}}, user=editor)
    assert error.value.code == "not_draft"
    draft.refresh_from_db()
    assert draft.definition == definition and draft.revision == 1


def test_an_edit_made_on_an_older_revision_is_refused(draft, editor, definition):
    Ruleset.objects.filter(pk=draft.pk).update(revision=2)
    with pytest.raises(RevisionStale):
        ruleset_criteria_update(
            ruleset=draft, edits={RD_EXPENSE: {"threshold": 2_000_000}}, user=editor, expected_revision=1
        )
    draft.refresh_from_db()
    assert draft.definition == definition


def test_a_structural_field_cannot_be_changed_through_a_row(draft, editor):
    with pytest.raises(ValidationError):
        ruleset_criteria_update(ruleset=draft, edits={SECOND_BAND: {"label": "x"}}, user=editor)
