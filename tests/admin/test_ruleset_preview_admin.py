"""A draft's preview page while its background job runs, once it is done or outdated, and activation."""

import copy

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import DEFINITION
from tests.factories import RegionFactory, UserFactory
from tracker.models import Ruleset, RulesetPreview


@pytest.fixture
def draft(world):
    return Ruleset.objects.create(
        tier=world["tier"],
        version="MIIT-2022-63-draft",
        effective_from="2026-04-01",
        reference="工信部企业〔2022〕63号",
        definition=copy.deepcopy(DEFINITION),
    )


def page(client, draft):
    return client.get(reverse("admin:tracker_ruleset_preview", args=[draft.pk]))


def finished(draft, revision=None, **result) -> RulesetPreview:
    return RulesetPreview.objects.create(
        ruleset=draft,
        revision=revision or draft.revision,
        status="done",
        finished_at=timezone.now(),
        result={"draft": draft.version, "active": "MIIT-2022-63", "as_of": "2026-12-01", "fiscal_year": 2025,
                "evaluated": 10, "eligible_active": 4, "eligible_draft": 5, "gained": 2, "lost": 1,
                "examples": {"gained": [], "lost": []}, **result},
    )


def test_a_running_preview_shows_its_progress_and_refreshes_itself(admin_client, draft):
    RulesetPreview.objects.create(ruleset=draft, revision=1, status="running", done=5000, total=20000,
                                  heartbeat_at=timezone.now())
    content = page(admin_client, draft).content.decode()
    assert '<meta http-equiv="refresh"' in content
    assert 'id="preview-progress"' in content and "已评价 5000 / 20000 家企业" in content
    assert 'id="preview-result"' not in content and 'id="preview-request"' not in content  # no second run


def test_a_finished_preview_shows_its_result_and_stops_refreshing(admin_client, draft):
    finished(draft)
    response = page(admin_client, draft)
    content = response.content.decode()
    assert 'http-equiv="refresh"' not in content
    assert 'id="preview-result"' in content and '<td class="preview-gained">2</td>' in content
    assert response.context["current"] and 'id="preview-outdated"' not in content


def test_a_preview_of_an_older_revision_is_shown_as_outdated(admin_client, draft):
    finished(draft)
    Ruleset.objects.filter(pk=draft.pk).update(revision=2)
    response = page(admin_client, draft)
    content = response.content.decode()
    assert 'id="preview-outdated"' in content and "当前为第 2 次修订" in content
    assert not response.context["current"] and 'id="preview-request"' in content
    assert "生效前须先完成当前修订的差异预览" in content


def test_a_failed_preview_says_why(admin_client, draft):
    RulesetPreview.objects.create(ruleset=draft, revision=1, status="failed", error="节点 c2_rd_ratio：未知的运算符")
    content = page(admin_client, draft).content.decode()
    assert 'id="preview-error"' in content and "未知的运算符" in content


def test_posting_the_page_queues_once_and_shows_the_result_when_tasks_run_eagerly(
    admin_client, draft, django_capture_on_commit_callbacks
):
    url = reverse("admin:tracker_ruleset_preview", args=[draft.pk])
    assert page(admin_client, draft).context["preview"] is None
    admin_client.post(url)
    admin_client.post(url)  # a double click while it is queued
    assert list(draft.previews.values_list("status", flat=True)) == ["queued"]
    draft.previews.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url)
    assert response["Location"] == url
    assert page(admin_client, draft).context["preview"].status == "done"


def test_a_user_who_may_only_view_rulesets_cannot_start_a_preview(client, draft):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_ruleset"))
    client.force_login(viewer)
    assert client.post(reverse("admin:tracker_ruleset_preview", args=[draft.pk])).status_code == 403
    assert not draft.previews.exists()


def test_the_action_queues_each_selected_draft_and_links_to_their_pages(admin_client, draft, world):
    other = Ruleset.objects.create(tier=world["tier"], version="other-draft", effective_from="2026-04-01",
                                   reference="x", definition=copy.deepcopy(DEFINITION))
    response = admin_client.post(
        reverse("admin:tracker_ruleset_changelist"),
        {"action": "preview_against_active", "_selected_action": [draft.pk, other.pk, world["ruleset"].pk]},
        follow=True,
    )
    assert set(RulesetPreview.objects.values_list("ruleset_id", "status")) == {(draft.pk, "queued"),
                                                                                 (other.pk, "queued")}
    content = response.content.decode()
    for ruleset in (draft, other):
        assert reverse("admin:tracker_ruleset_preview", args=[ruleset.pk]) in content


CHANGE = {"version": "MIIT-2022-63-draft", "mode": "any", "effective_from": "2026-04-01", "reference": "x"}


def change(client, draft, **data):
    url = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    return client.post(url, {**CHANGE, "tier": draft.tier_id, "status": "draft", **data})


def test_the_change_page_shows_where_the_preview_stands(admin_client, draft):
    url = reverse("admin:tracker_ruleset_change", args=[draft.pk])
    assert "尚未计算" in admin_client.get(url).content.decode()
    finished(draft)
    assert "新符合 2 家，不再符合 1 家" in admin_client.get(url).content.decode()


def test_saving_a_drafts_metadata_queues_the_preview_of_its_new_revision(admin_client, draft):
    assert change(admin_client, draft, effective_from="2026-05-01").status_code == 302
    assert list(draft.previews.values_list("revision", "status")) == [(2, "queued")]


def test_activation_without_a_finished_preview_of_the_stored_revision_is_refused(admin_client, draft):
    response = change(admin_client, draft, status="active")
    assert "status" in response.context["adminform"].form.errors
    finished(draft, revision=draft.revision)
    Ruleset.objects.filter(pk=draft.pk).update(revision=2)  # saved again since
    response = change(admin_client, draft, status="active")
    assert "第 2 次" in " ".join(response.context["adminform"].form.errors["status"])
    assert Ruleset.objects.get(pk=draft.pk).status == "draft"


def test_the_province_administrator_activates_a_previewed_draft(admin_client, draft):
    finished(draft)
    assert change(admin_client, draft, status="active").status_code == 302
    assert Ruleset.objects.get(pk=draft.pk).status == "active"
    assert list(draft.previews.values_list("status", flat=True)) == ["done"]  # no preview of an active ruleset


def test_activation_with_another_region_than_the_previewed_one_is_refused(admin_client, draft):
    finished(draft)
    response = change(admin_client, draft, status="active", jurisdiction=RegionFactory().pk)
    assert "适用地区" in " ".join(response.context["adminform"].form.errors["status"])


def test_a_new_ruleset_is_not_activated_unpreviewed(admin_client, world):
    data = {**CHANGE, "version": "NEW", "tier": world["tier"].pk, "status": "active",
            "definition": '{"id": "root", "kind": "all", "label": {"zh": "x", "en": "x"}, "children": ['
                          '{"id": "t", "kind": "test", "label": {"zh": "x", "en": "x"}, "variable": "revenue", '
                          '"op": "gte", "threshold": 1}]}'}
    response = admin_client.post(reverse("admin:tracker_ruleset_add"), data)
    assert "草稿" in " ".join(response.context["adminform"].form.errors["status"])
    assert not Ruleset.objects.filter(version="NEW").exists()
