"""Staff pages for runs, results and tier changes; recomputing from the admin."""

import copy
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.admin.conftest import DEFINITION
from tracker.models import EligibilityResult, EvaluationRun, Ruleset, TierChange
from tracker.services.runs import run_start, run_sync

AS_OF = date(2026, 6, 1)


@pytest.fixture
def evaluated(world):
    """The admin world after one recompute: a run with a chunk, a stored result and a tier change."""
    run = run_sync(run=run_start(kind=EvaluationRun.Kind.MANUAL, as_of=AS_OF, dispatch=False))
    result = EligibilityResult.objects.get(enterprise=world["enterprise"])
    change = TierChange.objects.create(
        enterprise=world["enterprise"],
        tier=world["tier"],
        fiscal_year=2025,
        change=TierChange.Change.GAINED,
        from_status="not_eligible",
        to_status="eligible",
        run=run,
    )
    return {**world, "run": run, "result": result, "change": change}


def test_it_lists_runs_with_their_progress(admin_client, evaluated):
    page = admin_client.get(reverse("admin:tracker_evaluationrun_changelist") + "?kind__exact=manual")
    assert page.status_code == 200
    assert "1/1（100%）" in page.content.decode()
    assert "全量重新计算" in page.content.decode()


def test_it_shows_a_run_read_only_with_its_chunks(staff_client, evaluated):
    page = staff_client.get(reverse("admin:tracker_evaluationrun_change", args=[evaluated["run"].pk]))
    assert page.status_code == 200
    assert "运行分片" in page.content.decode()
    assert page.context["inline_admin_formsets"][0].formset.queryset.count() == 1
    assert not page.context["has_change_permission"]


@pytest.mark.parametrize(
    "query", ["", "tier=specialized_sme", "status=not_eligible", "near_miss=1", "fiscal_year=2025", "q=苏州", "q=91"]
)
def test_it_lists_and_filters_results(staff_client, evaluated, query):
    page = staff_client.get(reverse("admin:tracker_eligibilityresult_changelist") + "?" + query)
    assert page.status_code == 200


def test_it_shows_the_rebuilt_explanation_on_the_result_page(staff_client, evaluated):
    page = staff_client.get(reverse("admin:tracker_eligibilityresult_change", args=[evaluated["result"].pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="eligibility-explanation"' in html
    assert "研发费用不低于100万元" in html
    assert "250.00 万元" in html  # the stored rd_expense of 2.5m, in 万元
    assert "✓ 达标" in html
    assert "差距汇总" in html


def test_it_keeps_results_read_only(staff_client, evaluated):
    result = evaluated["result"]
    assert staff_client.post(reverse("admin:tracker_eligibilityresult_change", args=[result.pk]), {}).status_code == 403
    assert staff_client.get(reverse("admin:tracker_eligibilityresult_add")).status_code == 403
    assert staff_client.post(reverse("admin:tracker_eligibilityresult_delete", args=[result.pk])).status_code == 403
    assert EligibilityResult.objects.filter(pk=result.pk).exists()


def test_it_lists_tier_changes(staff_client, evaluated):
    page = staff_client.get(reverse("admin:tracker_tierchange_changelist") + "?change=gained")
    assert page.status_code == 200
    assert evaluated["enterprise"].name in page.content.decode()


def test_it_shows_current_results_on_the_enterprise_page(staff_client, evaluated):
    enterprise, result = evaluated["enterprise"], evaluated["result"]
    page = staff_client.get(reverse("admin:tracker_enterprise_change", args=[enterprise.pk]))
    html = page.content.decode()
    assert "当前认定条件评价" in html
    assert f"/admin/tracker/eligibilityresult/by/{result.enterprise_id}/{result.tier_id}/{result.fiscal_year}/" in html
    assert result.ruleset.version in html


def test_it_recomputes_the_selected_enterprises(staff_client, world, django_capture_on_commit_callbacks):
    enterprise = world["enterprise"]
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:tracker_enterprise_changelist"),
            {"action": "recompute_selected", "_selected_action": [enterprise.pk]},
        )
    assert response.status_code == 302
    run = EvaluationRun.objects.get()
    assert (run.kind, run.is_full, run.requested_by.username) == ("manual", False, "staff")
    assert run.status == EvaluationRun.Status.SUCCEEDED
    assert EligibilityResult.objects.filter(enterprise=enterprise, run=run).exists()


def test_it_starts_a_full_manual_run_from_the_run_list(staff_client, world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(reverse("admin:tracker_evaluationrun_recompute"), follow=True)
    run = EvaluationRun.objects.get()
    assert (run.kind, run.is_full, run.as_of) == ("manual", True, timezone.localdate())
    assert "已发起全量重新计算" in response.content.decode()


def test_it_points_to_the_open_full_run_instead_of_starting_another(staff_client, world):
    open_run = EvaluationRun.objects.create(
        kind="manual", as_of=timezone.localdate(), fiscal_year=2025, status=EvaluationRun.Status.RUNNING
    )
    response = staff_client.post(reverse("admin:tracker_evaluationrun_recompute"), follow=True)
    assert EvaluationRun.objects.count() == 1
    assert reverse("admin:tracker_evaluationrun_change", args=[open_run.pk]) in response.content.decode()


def test_it_previews_a_draft_against_the_active_ruleset(staff_client, world, django_capture_on_commit_callbacks):
    definition = copy.deepcopy(DEFINITION)
    definition["children"][0]["threshold"] = 5_000_000  # above the world's 2.5m R&D expense
    draft = Ruleset.objects.create(
        tier=world["tier"],
        version="MIIT-2022-63-draft",
        effective_from="2022-06-01",
        status=Ruleset.Status.DRAFT,
        definition=definition,
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:tracker_ruleset_changelist"),
            {"action": "preview_against_active", "_selected_action": [draft.pk]},
        )
    assert response["Location"] == reverse("admin:tracker_ruleset_preview", args=[draft.pk])
    page = staff_client.get(response["Location"])
    result = page.context["preview"].result
    assert (result["draft"], result["gained"]) == ("MIIT-2022-63-draft", 0)  # a raised threshold gains no one
    assert "草稿与现行标准的差异" in page.content.decode()


def test_a_result_keeps_its_address_across_recomputes(staff_client, evaluated):
    """Addressed by enterprise, tier and year, a link leads to today's row even after the pipeline
    rewrote it under a new id."""
    result = evaluated["result"]
    url = f"/admin/tracker/eligibilityresult/by/{result.enterprise_id}/{result.tier_id}/{result.fiscal_year}/"
    assert staff_client.get(url)["Location"] == reverse("admin:tracker_eligibilityresult_change", args=[result.pk])
    EligibilityResult.objects.filter(pk=result.pk).delete()
    rewritten = EligibilityResult.objects.create(
        **{f.attname: getattr(result, f.attname) for f in EligibilityResult._meta.concrete_fields if not f.primary_key}
    )
    assert staff_client.get(url)["Location"] == reverse("admin:tracker_eligibilityresult_change", args=[rewritten.pk])
    assert staff_client.get(url.replace(f"/{result.fiscal_year}/", "/1999/")).status_code == 404


def test_the_result_list_shows_the_failing_criteria_set_based(staff_client, evaluated, django_assert_max_num_queries):
    result = evaluated["result"]
    EligibilityResult.objects.filter(pk=result.pk).update(status="not_eligible", failed_nodes=b"\x03", failing_count=1)
    url = reverse("admin:tracker_eligibilityresult_changelist")
    staff_client.get(url)
    with django_assert_max_num_queries(14):
        page = staff_client.get(url + "?status=not_eligible")
    html = page.content.decode()
    assert "未达标条件" in html and "研发费用不低于100万元" in html
    assert "/eligibilityresult/by/" in html and "导出差距明细" in html
    with django_assert_max_num_queries(16):  # the page's results and their rulesets: one query each
        changes = staff_client.get(reverse("admin:tracker_tierchange_changelist")).content.decode()
    assert "研发费用不低于100万元" in changes  # what fails now, from the result the change led to


@pytest.mark.parametrize("query", ["cluster=1", "county=320506", "evaluated_at__gte=2020-01-01", "to_status=eligible"])
def test_results_and_tier_changes_filter_like_the_office_reads_them(staff_client, evaluated, query):
    for name in ("eligibilityresult", "tierchange"):
        if query.startswith(("evaluated_at", "to_status")) and (name == "tierchange") == query.startswith("evaluated"):
            continue
        assert staff_client.get(reverse(f"admin:tracker_{name}_changelist") + "?" + query).status_code == 200


def test_staff_text_is_chinese(staff_client, evaluated):
    run_page = staff_client.get(reverse("admin:tracker_evaluationrun_change", args=[evaluated["run"].pk]))
    assert "RunChunk object" not in run_page.content.decode()
    result = evaluated["result"]
    page = staff_client.get(reverse("admin:tracker_eligibilityresult_change", args=[result.pk])).content.decode()
    assert f"{evaluated['enterprise'].name} · {evaluated['tier'].name_zh} · {result.fiscal_year} 年度" in page


def test_the_site_root_leads_to_the_admin_and_the_tier_app_comes_first(staff_client):
    assert staff_client.get("/")["Location"] == reverse("admin:index")
    page = staff_client.get(reverse("admin:index"))
    assert page.context["app_list"][0]["app_label"] == "tracker"
    assert 'href="/api/docs/"' in page.content.decode()
