import json

from django.urls import reverse

from tests.admin.conftest import DEFINITION
from tracker.models import Ruleset


def test_an_active_ruleset_is_read_only(admin_client, world):
    ruleset = world["ruleset"]
    url = reverse("admin:tracker_ruleset_change", args=[ruleset.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert not response.context["has_change_permission"]
    assert response.context["adminform"].form.fields == {} or all(
        field.disabled for field in response.context["adminform"].form.fields.values()
    )
    assert 'name="_save"' not in response.content.decode()
    response = admin_client.post(url, {"version": "changed"})
    assert response.status_code == 403
    ruleset.refresh_from_db()
    assert ruleset.version == "MIIT-2022-63"


def test_the_change_page_shows_the_criteria_as_a_table(admin_client, world):
    content = admin_client.get(reverse("admin:tracker_ruleset_change", args=[world["ruleset"].pk])).content.decode()
    assert "c2_rd_expense" in content
    assert "≥ 100.00 万元" in content
    assert "≥ 3.00%" in content
    assert "≥ 80.00% → 5" in content
    assert "padding-left:2.0em" in content  # nested one level


def test_copy_as_new_draft_creates_a_draft(admin_client, world):
    ruleset = world["ruleset"]
    response = admin_client.post(
        reverse("admin:tracker_ruleset_changelist"),
        {"action": "copy_as_draft", "_selected_action": [ruleset.pk]},
    )
    assert response.status_code == 302
    draft = Ruleset.objects.get(version="MIIT-2022-63-draft")
    assert draft.status == Ruleset.Status.DRAFT
    assert draft.definition == ruleset.definition
    assert draft.created_by.username == "admin"


def test_a_second_copy_gets_the_next_suffix(admin_client, world):
    url = reverse("admin:tracker_ruleset_changelist")
    for _ in range(2):
        admin_client.post(url, {"action": "copy_as_draft", "_selected_action": [world["ruleset"].pk]})
    assert set(Ruleset.objects.values_list("version", flat=True)) == {
        "MIIT-2022-63",
        "MIIT-2022-63-draft",
        "MIIT-2022-63-draft2",
    }


def test_a_draft_is_editable_and_its_definition_is_checked(admin_client, world):
    draft = Ruleset.objects.create(
        tier=world["tier"], version="draft-1", effective_from="2026-04-01", reference="x", definition=DEFINITION
    )
    url = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    data = {
        "tier": draft.tier_id,
        "version": "draft-1",
        "status": "draft",
        "mode": "any",
        "effective_from": "2026-04-01",
        "reference": "x",
        "definition": "[1, 2]",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "definition" in response.context["adminform"].form.errors
    data["definition"] = json.dumps({**DEFINITION, "children": DEFINITION["children"][:1]})
    assert admin_client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert len(draft.definition["children"]) == 1


def test_an_unknown_variable_is_rejected_naming_the_node(admin_client, world):
    draft = Ruleset.objects.create(
        tier=world["tier"], version="draft-2", effective_from="2026-04-01", reference="x", definition=DEFINITION
    )
    broken = json.loads(json.dumps(DEFINITION))
    broken["children"][0]["variable"] = "rd_ratoi"
    node_id = broken["children"][0]["id"]
    data = {
        "tier": draft.tier_id, "version": "draft-2", "status": "draft", "mode": "any",
        "effective_from": "2026-04-01", "reference": "x", "definition": json.dumps(broken),
    }
    response = admin_client.post(reverse("admin:tracker_ruleset_change",
                                         args=[draft.pk]), data)
    errors = " ".join(response.context["adminform"].form.errors["definition"])
    assert node_id in errors and "rd_ratoi" in errors


def test_retire_marks_an_active_ruleset_retired(admin_client, world):
    admin_client.post(
        reverse("admin:tracker_ruleset_changelist"), {"action": "retire", "_selected_action": [world["ruleset"].pk]}
    )
    world["ruleset"].refresh_from_db()
    assert world["ruleset"].status == Ruleset.Status.RETIRED
