"""The admin's criteria table, YAML upload and download, preview and copy, on a draft ruleset."""

import copy

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.admin.conftest import DEFINITION
from tracker.models import Ruleset
from tracker.services.ruleset_yaml import definition_yaml


@pytest.fixture
def draft(world):
    return Ruleset.objects.create(
        tier=world["tier"],
        version="MIIT-2022-63-draft",
        effective_from="2026-04-01",
        reference="工信部企业〔2022〕63号",
        definition=copy.deepcopy(DEFINITION),
    )


def table_data(client, ruleset, **changes):
    """The table as the browser would post it, with ``changes`` ({"0-threshold": "150"}) typed in."""
    formset = client.get(reverse("admin:tracker_ruleset_criteria", args=[ruleset.pk])).context["formset"]
    data = {f"criteria-{k}": v for k, v in formset.management_form.initial.items()}
    data["revision"] = ruleset.revision
    for form in formset.forms:
        for name, field in form.fields.items():
            value = field.prepare_value(form.initial.get(name))
            data[form.add_prefix(name)] = value if value is not None else ""
    data.update({f"criteria-{k}": v for k, v in changes.items()})
    return data


def post_table(client, ruleset, **changes):
    return client.post(reverse("admin:tracker_ruleset_criteria", args=[ruleset.pk]), table_data(client, ruleset, **changes))


def test_the_table_shows_thresholds_in_the_units_staff_read(admin_client, draft):
    response = admin_client.get(reverse("admin:tracker_ruleset_criteria", args=[draft.pk]))
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert [form.unit for form in forms] == ["万元", "%", "%", "%"]
    shown = [form["threshold"].value() for form in forms]
    assert [forms[0].fields["threshold"].prepare_value(v) for v in shown] == ["100", "3", "80", "70"]
    content = response.content.decode()
    assert '研发费用不低于100万元</textarea>' in content and "附件2 条件(二)" in content


def test_saving_the_table_changes_only_the_typed_threshold_and_shows_the_preview(
    admin_client, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # tasks run eagerly, as in the embedded demo
        response = post_table(admin_client, draft, **{"0-threshold": "150"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_ruleset_preview", args=[draft.pk])
    draft.refresh_from_db()
    expected = copy.deepcopy(DEFINITION)
    expected["children"][0]["threshold"] = 1_500_000  # 150 万元, stored in 元
    assert draft.definition == expected
    assert draft.revision == 2
    assert draft.history.first().history_user.username == "admin"
    preview = admin_client.get(response["Location"])
    assert preview.status_code == 200
    shown = preview.context["preview"]
    assert (shown.status, shown.revision, shown.result["draft"]) == ("done", 2, draft.version)
    assert "preview-gained" in preview.content.decode()


def test_a_percentage_is_stored_as_a_fraction(admin_client, draft):
    assert post_table(admin_client, draft, **{"1-threshold": "3.5%"}).status_code == 302
    draft.refresh_from_db()
    assert draft.definition["children"][1]["threshold"] == 0.035


def test_saving_the_table_unchanged_writes_nothing(admin_client, draft):
    response = post_table(admin_client, draft)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:tracker_ruleset_criteria", args=[draft.pk])
    draft.refresh_from_db()
    assert (draft.definition, draft.revision) == (DEFINITION, 1)


def test_a_threshold_that_is_not_a_number_is_refused_naming_the_row_and_field(admin_client, draft):
    response = post_table(admin_client, draft, **{"0-threshold": "一百", "1-threshold": "5"})
    assert response.status_code == 200
    assert response.context["errors"] == [{"text": "第 1 行“研发费用不低于100万元”的门槛值：请输入数字（如 1500 或 3.5）。", "row": 1}]
    draft.refresh_from_db()
    assert (draft.definition, draft.revision) == (DEFINITION, 1)  # the valid row 2 is not saved either


def test_bands_out_of_order_are_refused_on_their_row(admin_client, draft):
    response = post_table(admin_client, draft, **{"3-threshold": "90"})
    assert response.status_code == 200
    errors = response.context["errors"]
    assert [e["text"] for e in errors] == [
        "第 4 行“主营业务收入占比 第2档”的门槛值：分档顺序有误：“≥/>”各档的门槛须逐档递减（本档须低于上一档）"
    ]
    assert 'id="row-4"' in response.content.decode()
    draft.refresh_from_db()
    assert draft.definition == DEFINITION


def test_an_empty_label_is_refused(admin_client, draft):
    response = post_table(admin_client, draft, **{"0-label": ""})
    assert response.context["errors"][0]["text"].startswith("第 1 行“研发费用不低于100万元”的名称：")


def test_a_table_opened_before_someone_else_saved_is_refused(admin_client, draft):
    data = table_data(admin_client, draft, **{"0-threshold": "150"})
    Ruleset.objects.filter(pk=draft.pk).update(revision=2)
    response = admin_client.post(reverse("admin:tracker_ruleset_criteria", args=[draft.pk]), data)
    assert response.status_code == 200
    assert "已被他人修改" in response.context["errors"][0]["text"]
    draft.refresh_from_db()
    assert draft.definition == DEFINITION


def test_an_active_ruleset_has_no_table_upload_or_preview(admin_client, world):
    active = world["ruleset"]
    for name in ("criteria", "upload", "preview"):
        url = reverse(f"admin:tracker_ruleset_{name}", args=[active.pk])
        assert admin_client.get(url).status_code == 403, name
        assert admin_client.post(url, {"criteria-TOTAL_FORMS": "4"}).status_code == 403, name
    active.refresh_from_db()
    assert (active.definition, active.revision) == (DEFINITION, 1)
    page = admin_client.get(reverse("admin:tracker_ruleset_change", args=[active.pk])).content.decode()
    assert 'id="ruleset-criteria"' not in page and 'id="ruleset-copy"' in page


def test_a_user_who_may_only_view_rulesets_cannot_edit_a_draft(client, draft):
    from django.contrib.auth.models import Permission

    from tests.factories import UserFactory

    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_ruleset"))
    client.force_login(viewer)
    assert client.get(reverse("admin:tracker_ruleset_criteria", args=[draft.pk])).status_code == 403
    assert client.get(reverse("admin:tracker_ruleset_yaml", args=[draft.pk])).status_code == 200


def test_the_downloaded_yaml_uploaded_unchanged_changes_nothing(admin_client, draft):
    download = admin_client.get(reverse("admin:tracker_ruleset_yaml", args=[draft.pk]))
    assert download["Content-Type"] == "application/yaml; charset=utf-8"
    assert 'filename="' in download["Content-Disposition"]
    upload = SimpleUploadedFile("criteria.yaml", download.content)
    response = admin_client.post(
        reverse("admin:tracker_ruleset_upload", args=[draft.pk]), {"file": upload, "revision": 1}
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.definition, draft.revision) == (DEFINITION, 1)


def test_an_uploaded_yaml_with_a_structural_error_is_refused_with_its_path(admin_client, draft):
    text = definition_yaml(draft).replace("op: gte\n  threshold: 0.03", "op: above\n  threshold: 0.03")
    upload = SimpleUploadedFile("criteria.yaml", text.encode())
    response = admin_client.post(reverse("admin:tracker_ruleset_upload", args=[draft.pk]), {"file": upload})
    assert response.status_code == 200
    [error] = response.context["errors"]
    assert error.startswith("YAML 路径 children[1]（节点 c2_rd_ratio），第 ")
    assert error.endswith("：未知的运算符“above”")
    draft.refresh_from_db()
    assert draft.definition == DEFINITION


def test_an_uploaded_yaml_replaces_the_definition_and_shows_the_preview(admin_client, draft):
    text = definition_yaml(draft).replace("threshold: 1000000", "threshold: 2000000")
    upload = SimpleUploadedFile("criteria.yaml", text.encode())
    response = admin_client.post(reverse("admin:tracker_ruleset_upload", args=[draft.pk]), {"file": upload})
    assert response["Location"] == reverse("admin:tracker_ruleset_preview", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.definition["children"][0]["threshold"] == 2_000_000
    # Queued for the new revision (the request's transaction is the test's: the task is not run here).
    assert list(draft.previews.values_list("revision", "status")) == [(2, "queued")]


def test_an_active_ruleset_is_copied_as_a_new_draft_with_a_new_effective_date(admin_client, world):
    url = reverse("admin:tracker_ruleset_copy", args=[world["ruleset"].pk])
    assert admin_client.get(url).context["form"].initial["version"] == "MIIT-2022-63-draft"
    response = admin_client.post(url, {"version": "JS-2027", "effective_from": "2027-01-01", "effective_to": ""})
    draft = Ruleset.objects.get(version="JS-2027")
    assert response["Location"] == reverse("admin:tracker_ruleset_criteria", args=[draft.pk])
    assert (draft.status, str(draft.effective_from), draft.effective_to) == ("draft", "2027-01-01", None)
    assert draft.definition == world["ruleset"].definition
    assert draft.created_by.username == "admin"


def test_a_copy_under_a_version_name_already_taken_is_refused(admin_client, world):
    url = reverse("admin:tracker_ruleset_copy", args=[world["ruleset"].pk])
    response = admin_client.post(url, {"version": "MIIT-2022-63", "effective_from": "2027-01-01"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Ruleset.objects.count() == 1


def test_a_drafts_change_page_links_to_the_table_and_the_yaml(admin_client, draft):
    page = admin_client.get(reverse("admin:tracker_ruleset_change", args=[draft.pk])).content.decode()
    for link in ("ruleset-criteria", "ruleset-upload", "ruleset-preview", "ruleset-yaml", "ruleset-copy"):
        assert f'id="{link}"' in page
