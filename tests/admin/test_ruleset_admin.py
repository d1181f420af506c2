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


NEW_RULESET = {
    "version": "draft-1",
    "status": "draft",
    "mode": "any",
    "effective_from": "2026-04-01",
    "reference": "x",
}


def test_a_new_ruleset_is_added_with_its_definition_checked(admin_client, world):
    url = reverse("admin:tracker_ruleset_add")
    data = {**NEW_RULESET, "tier": world["tier"].pk, "definition": "[1, 2]"}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "definition" in response.context["adminform"].form.errors
    data["definition"] = json.dumps({**DEFINITION, "children": DEFINITION["children"][:1]})
    assert admin_client.post(url, data).status_code == 302
    assert len(Ruleset.objects.get(version="draft-1").definition["children"]) == 1


def test_an_unknown_variable_is_rejected_naming_the_node(admin_client, world):
    broken = json.loads(json.dumps(DEFINITION))
    broken["children"][0]["variable"] = "rd_ratoi"
    data = {**NEW_RULESET, "tier": world["tier"].pk, "definition": json.dumps(broken)}
    response = admin_client.post(reverse("admin:tracker_ruleset_add"), data)
    errors = " ".join(response.context["adminform"].form.errors["definition"])
    assert "c2_rd_expense" in errors and "rd_ratoi" in errors and "children[0]" in errors
    assert not Ruleset.objects.filter(version="draft-1").exists()


def test_saving_a_drafts_metadata_leaves_its_criteria_alone(admin_client, world):
    """The change form carries no definition: criteria change through the table or a YAML upload."""
    draft = Ruleset.objects.create(
        tier=world["tier"], version="draft-1", effective_from="2026-04-01", reference="x", definition=DEFINITION
    )
    url = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    form = admin_client.get(url).context["adminform"].form
    assert "definition" not in form.fields
    # Someone changes the criteria after this form was opened.
    changed = {**DEFINITION, "children": DEFINITION["children"][:1]}
    Ruleset.objects.filter(pk=draft.pk).update(definition=changed)
    data = {**NEW_RULESET, "tier": draft.tier_id, "effective_from": "2026-05-01"}
    assert admin_client.post(url, data).status_code == 302
    draft.refresh_from_db()
    assert draft.definition == changed
    assert (str(draft.effective_from), draft.revision) == ("2026-05-01", 2)


def test_retire_marks_an_active_ruleset_retired(admin_client, world):
    admin_client.post(
        reverse("admin:tracker_ruleset_changelist"), {"action": "retire", "_selected_action": [world["ruleset"].pk]}
    )
    world["ruleset"].refresh_from_db()
    assert world["ruleset"].status == Ruleset.Status.RETIRED


def test_a_form_opened_before_the_criteria_changed_is_refused_once(admin_client, world):
    """Someone saves new criteria (a new revision) while this form is open: its save — which could be
    the activation — is not written, says which revisions, and goes through when made again."""
    draft = Ruleset.objects.create(
        tier=world["tier"], version="draft-2", effective_from="2026-04-01", reference="x", definition=DEFINITION
    )
    url = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    form = admin_client.get(url).context["adminform"].form
    assert form["base_revision"].value() == 1
    Ruleset.objects.filter(pk=draft.pk).update(revision=2)  # the criteria table saved meanwhile
    data = {**NEW_RULESET, "tier": draft.tier_id, "effective_from": "2026-05-01", "base_revision": 1}
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "您打开的是第 1 次修订，当前为第 2 次" in response.content.decode()
    draft.refresh_from_db()
    assert (str(draft.effective_from), draft.revision) == ("2026-04-01", 2)
    again = response.context["adminform"].form["base_revision"].value()
    assert again == "2"
    assert admin_client.post(url, {**data, "base_revision": again}).status_code == 302
    draft.refresh_from_db()
    assert (str(draft.effective_from), draft.revision) == ("2026-05-01", 3)
