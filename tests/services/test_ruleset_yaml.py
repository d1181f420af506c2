"""A draft's definition downloaded and uploaded as YAML."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tracker.models import Ruleset, RulesetPreview
from tracker.services.ruleset_errors import DefinitionInvalid
from tracker.services.ruleset_yaml import definition_from_yaml, definition_yaml, ruleset_yaml_upload


def test_uploading_the_downloaded_file_changes_nothing(draft, editor):
    content = definition_yaml(draft).encode()
    assert ruleset_yaml_upload(ruleset=draft, content=content, user=editor, expected_revision=1) is False
    draft.refresh_from_db()
    assert draft.revision == 1 and draft.history.count() == 1


@pytest.mark.django_db
def test_every_shipped_definition_survives_the_round_trip():
    call_command("bootstrap", verbosity=0)
    rulesets = list(Ruleset.objects.all())
    assert len(rulesets) > 10
    for ruleset in rulesets:
        assert definition_from_yaml(definition_yaml(ruleset)) == ruleset.definition, ruleset.version


def test_the_file_reads_like_the_fixtures(draft):
    text = definition_yaml(draft)
    assert text.startswith("# 认定标准")
    body = [line for line in text.splitlines() if not line.startswith("#")]
    assert body[:4] == ["id: root", "kind: all", "label: {zh: 认定标准, en: Standard}", "reference: 工信部企业〔2022〕63号"]
    assert "  threshold: 1000000" in text
    assert "  - {op: gte, threshold: 0.8, points: 5}" in text


def test_a_structural_change_is_stored_with_a_new_revision(draft, editor, definition):
    text = definition_yaml(draft).replace("kind: all", "kind: any", 1)
    assert ruleset_yaml_upload(ruleset=draft, content=text.encode(), user=editor, name="new.yaml") is True
    draft.refresh_from_db()
    assert draft.definition == {**definition, "kind": "any"}
    assert draft.revision == 2
    assert draft.history.first().history_change_reason == "上传 YAML：new.yaml"


def test_a_structural_error_is_refused_with_its_yaml_path_and_line(draft, editor, definition):
    text = definition_yaml(draft).replace("    kind: bands\n", "    kind: bandz\n")
    with pytest.raises(DefinitionInvalid) as error:
        ruleset_yaml_upload(ruleset=draft, content=text.encode(), user=editor)
    assert error.value.where == "children[2].indicators[0]（节点 main_business_share）"
    assert error.value.text == "未知的指标类型（kind）“bandz”"
    assert text.splitlines()[error.value.line - 1].strip() == "- id: main_business_share"
    draft.refresh_from_db()
    assert draft.definition == definition and draft.revision == 1


def test_a_node_without_an_id_is_located_by_its_path(draft, editor):
    text = definition_yaml(draft).replace("- id: c2_rd_ratio\n  kind: test", "- kind: test")
    assert "c2_rd_ratio" not in text
    with pytest.raises(DefinitionInvalid) as error:
        ruleset_yaml_upload(ruleset=draft, content=text.encode(), user=editor)
    assert (error.value.path, error.value.text) == (("children", 1), "缺少编号（id）")


def test_a_file_that_is_not_yaml_is_refused_with_its_line(draft, editor):
    with pytest.raises(ValidationError) as error:
        ruleset_yaml_upload(ruleset=draft, content=b"id: root\nkind: [all\nlabel: x\n", user=editor)
    assert error.value.messages == ["YAML 格式有误（第 3 行第 6 列）：expected ',' or ']', but got ':'"]


def test_a_key_given_twice_is_refused(draft, editor):
    text = definition_yaml(draft).replace("  threshold: 1000000\n", "  threshold: 1000000\n  threshold: 2000000\n")
    with pytest.raises(ValidationError) as error:
        ruleset_yaml_upload(ruleset=draft, content=text.encode(), user=editor)
    assert "键“threshold”重复" in error.value.messages[0]


def test_a_file_that_is_not_a_node_is_refused(draft, editor):
    with pytest.raises(ValidationError):
        ruleset_yaml_upload(ruleset=draft, content=b"- a\n- b\n", user=editor)


def test_an_active_ruleset_is_not_replaced(draft, editor, definition):
    Ruleset.objects.filter(pk=draft.pk).update(status=Ruleset.Status.ACTIVE)
    text = definition_yaml(draft).replace("kind: all", "kind: any", 1)
    with pytest.raises(ValidationError):
        ruleset_yaml_upload(ruleset=draft, content=text.encode(), user=editor)
    draft.refresh_from_db()
    assert draft.definition == definition


def test_the_command_exports_and_replaces(draft, tmp_path, definition):
    from django.core.management import CommandError

    path = tmp_path / "criteria.yaml"
    call_command("ruleset_yaml", draft.tier_id, draft.version, export=str(path))
    path.write_text(path.read_text(encoding="utf-8").replace("threshold: 1000000", "threshold: 2000000"), encoding="utf-8")
    out = io.StringIO()
    call_command("ruleset_yaml", draft.tier_id, draft.version, replace=str(path), stdout=out)
    draft.refresh_from_db()
    assert draft.definition["children"][0]["threshold"] == 2_000_000
    # The new revision's preview is requested, as after an upload in the admin (activation needs it).
    assert RulesetPreview.objects.filter(ruleset=draft, revision=draft.revision).count() == 1
    preview = RulesetPreview.objects.get(ruleset=draft, revision=draft.revision)
    assert f"差异预览（第 {draft.revision} 次修订）：{preview.get_status_display()}，" in out.getvalue()
    path.write_text(path.read_text(encoding="utf-8").replace("op: gte", "op: above", 1), encoding="utf-8")
    with pytest.raises(CommandError, match=r"YAML 路径 children\[0\]（节点 c2_rd_expense），第 \d+ 行：未知的运算符“above”"):
        call_command("ruleset_yaml", draft.tier_id, draft.version, replace=str(path))
