"""The admin's permission matrix: every registered changelist, add, change, delete and history page,
every page an admin adds of its own (imports, batch steps, the recompute button), every action and
every autocomplete, for each role, a user without a role and another region's object.

ADMIN_ACCESS and CUSTOM_PAGES are literal tables; registering a new ModelAdmin, or a page of its own,
without an entry fails `test_every_admin_has_an_entry` or `test_every_page_of_its_own_has_an_entry`.
Outcomes: anonymous users and integrators (API only) are sent to the login page; a staff member without
the permission gets 403; another region's object is treated exactly like an id that does not exist.
"""

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from tests.access.conftest import HOME, OTHER, PROVINCE_ROLES, RESTRICTED_ROLES, ROLES, STAFF_ROLES, admin_client
from tests.factories import ChainSegmentFactory, region
from tests.reports.frames import tiny_frame
from tracker.admin.base import VisibleAdminMixin
from tracker.models import (
    DesignationBatch,
    EvaluationRun,
    ExportJob,
    ImportJob,
    NationalRecognition,
    ReportSubscription,
    RoleGrant,
    TierReport,
)
from tracker.services.rulesets import ruleset_copy_as_draft
from tracker.services.tokens import api_token_create

pytestmark = pytest.mark.django_db

PA, PS, RS, RO = "province_admin", "province_staff", "region_staff", "read_only"
ALL = {PA, PS, RS, RO}
NONE: set = set()


def access(view, add=NONE, change=NONE, delete=NONE):
    return {"view": set(view), "add": set(add), "change": set(change), "delete": set(delete)}


REFERENCE = access(ALL, {PA}, {PA}, {PA})
ADMIN_ACCESS = {
    "tracker.region": REFERENCE,
    "tracker.cluster": REFERENCE,
    "tracker.chainsegment": REFERENCE,
    "tracker.nationalrecognition": REFERENCE,
    "tracker.tier": REFERENCE,
    "tracker.enterprise": access(ALL, {PA, PS, RS}, {PA, PS, RS}, {PA}),
    "tracker.annualmetrics": access(ALL, {PA, PS, RS}, {PA, PS, RS}, {PA, PS, RS}),
    "tracker.designation": access(ALL, {PA, PS, RS}, {PA, PS, RS}, {PA, PS, RS}),
    "tracker.ruleset": access(ALL, {PA, PS}, {PA, PS}, {PA}),
    "tracker.evaluationrun": access({PA, PS}),  # the ledger is read-only
    "tracker.eligibilityresult": access(ALL),
    "tracker.tierchange": access(ALL),
    "tracker.importjob": access(ALL),  # uploads go through the upload page (CUSTOM_PAGES), not a model form
    "tracker.designationbatch": access(ALL, {PA, PS}, {PA, PS}),  # withdrawn, never deleted
    "tracker.rolegrant": access({PA}),
    "tracker.tierreport": access(ALL),  # built by report_build (the rebuild action), never edited or deleted
    "tracker.exportjob": access(ALL),  # made by a list's export button; each sees their own (test_export_jobs)
    # Everyone's subscriptions: the province administrator's; each reader has their own page (CUSTOM_PAGES).
    "tracker.reportsubscription": access({PA}, {PA}, {PA}, {PA}),
    "auth.user": access({PA}, {PA}, {PA}),
    "auth.group": access({PA}),
    "tracker.apitoken": access({PA}, {PA}, NONE, {PA}),  # a token is never edited: created, seen, revoked
    **{
        f"django_celery_beat.{model}": access({PA}, {PA}, {PA}, {PA})
        for model in ("periodictask", "clockedschedule", "crontabschedule", "solarschedule", "intervalschedule")
    },
}
# Region-owned models: another region's object is not found.
SCOPED = {"tracker.region", "tracker.enterprise", "tracker.annualmetrics", "tracker.designation",
          "tracker.eligibilityresult", "tracker.tierchange", "tracker.importjob", "tracker.tierreport"}
# A page whose success is not 200: an import's change page is its preview, an export's its status page.
SUCCESS = {("tracker.importjob", "change"): 302, ("tracker.exportjob", "change"): 302}
HISTORY = {"tracker.enterprise", "tracker.annualmetrics", "tracker.designation", "tracker.ruleset"}
PERSONAS = ["anonymous", "no_role", "staff_without_role", *ROLES]


def model_admin(label: str):
    return next(ma for model, ma in admin.site._registry.items() if model._meta.label_lower == label)


def obj_of(world, label: str, place: str = "home"):
    here = world.home if place == "home" else world.other
    objects = {
        "tracker.region": lambda: here.enterprise.region,
        "tracker.cluster": lambda: world.cluster,
        "tracker.chainsegment": lambda: ChainSegmentFactory(cluster=world.cluster),
        "tracker.nationalrecognition": lambda: NationalRecognition.objects.create(kind="sei_cluster", name="测试"),
        "tracker.tier": lambda: world.tier,
        "tracker.enterprise": lambda: here.enterprise,
        "tracker.annualmetrics": lambda: here.metrics,
        "tracker.designation": lambda: here.designation,
        "tracker.ruleset": lambda: world.ruleset,
        "tracker.evaluationrun": lambda: world.run,
        "tracker.eligibilityresult": lambda: here.result,
        "tracker.tierchange": lambda: here.change,
        "tracker.importjob": lambda: here.job,
        "tracker.designationbatch": lambda: world.batch,
        "tracker.rolegrant": lambda: RoleGrant.objects.first(),
        "tracker.apitoken": lambda: api_token_create(owner=world.users["integrator_ro"], name="对接")[0],
        "auth.user": lambda: world.users[RS],
        "tracker.tierreport": lambda: tier_report(place_code(world, place)),
        "tracker.reportsubscription": lambda: ReportSubscription.objects.get_or_create(
            user=world.users[RS], region=region(place_code(world, place)[:4] + "00"))[0],
    }
    return objects[label]() if label in objects else None


def place_code(world, place: str) -> str:
    return (world.home if place == "home" else world.other).code


def tier_report(code: str) -> TierReport:
    """A stored report of the county's city (a small frame: the pages render it, tests/reports check it)."""
    city = region(code[:4] + "00")
    frame = tiny_frame(city.code, city.name)
    report, _created = TierReport.objects.get_or_create(
        report_date=frame.report_date, region=city,
        defaults={"data_date": frame.data_date, "content": frame.to_json(), "built_at": timezone.now()},
    )
    return report


def url(label: str, page: str, obj=None) -> str:
    app, model = label.split(".")
    return reverse(f"admin:{app}_{model}_{page}", args=[obj.pk] if obj is not None else [])


def expected(label: str, page: str, persona: str) -> int:
    if persona in ("anonymous", "no_role", "integrator_ro", "integrator_rw"):
        return 302  # to the login page: the admin is for staff, integrators use the API
    rights = ADMIN_ACCESS[label]
    allowed = {
        "changelist": rights["view"] | rights["change"],
        "add": rights["add"],
        "change": rights["view"] | rights["change"],
        "delete": rights["delete"],
        "history": rights["view"] | rights["change"],
    }[page]
    return SUCCESS.get((label, page), 200) if persona in allowed else 403


def test_every_admin_has_an_entry():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_ACCESS)


def test_every_tracker_admin_and_inline_reads_through_the_read_layer():
    for model, model_admin_ in admin.site._registry.items():
        if model._meta.app_label != "tracker" or model._meta.label_lower in ("tracker.rolegrant", "tracker.apitoken"):
            continue
        assert isinstance(model_admin_, VisibleAdminMixin), model
        for inline in model_admin_.inlines:
            assert issubclass(inline, VisibleAdminMixin), inline


# Third-party admins (tokens, beat schedules, groups) are checked on their list and add pages. An export
# job is its requester's, whatever their role: its pages are checked per user in test_export_jobs.py.
WITH_OBJECTS = {
    label for label in ADMIN_ACCESS if (label.startswith("tracker.") or label == "auth.user") and label != "tracker.exportjob"
}
PAGES = [
    (label, page)
    for label in sorted(ADMIN_ACCESS)
    for page in ("changelist", "add", "change", "delete", "history")
    if page in ("changelist", "add") or label in WITH_OBJECTS
]


@pytest.mark.parametrize(("label", "page"), PAGES, ids=lambda value: value)
def test_each_persona_gets_the_expected_status(world, label, page):
    obj = obj_of(world, label) if page in ("change", "delete", "history") else None
    outcomes = {}
    for persona in PERSONAS:
        response = admin_client(world, persona).get(url(label, page, obj))
        if response.status_code == 302 and persona not in ("anonymous", "no_role", "integrator_ro", "integrator_rw"):
            outcomes[persona] = (302, expected(label, page, persona), response.get("Location"))
            continue
        if response.status_code == 302:
            assert "/admin/login/" in response["Location"], (persona, response["Location"])
        outcomes[persona] = (response.status_code, expected(label, page, persona), "")
    wrong = {p: o for p, o in outcomes.items() if o[0] != o[1]}
    assert not wrong, wrong


@pytest.mark.parametrize("label", sorted(SCOPED))
@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_another_regions_object_is_like_one_that_does_not_exist(world, label, page):
    other = obj_of(world, label, "other")
    missing_url = url(label, page, type(other)(pk=987654321))
    for persona in STAFF_ROLES:
        allowed = expected(label, page, persona) != 403
        client = admin_client(world, persona)
        response = client.get(url(label, page, other))
        if persona in PROVINCE_ROLES:
            assert response.status_code == expected(label, page, persona), persona
            continue
        missing = client.get(missing_url)
        if not allowed:
            assert response.status_code == missing.status_code == 403, persona
            continue
        assert response.status_code == missing.status_code, (persona, response.status_code, missing.status_code)
        assert response.status_code in (302, 404), persona
        assert response.get("Location") == missing.get("Location"), persona


@pytest.mark.parametrize("label", sorted(SCOPED))
def test_a_changelist_shows_a_city_user_only_their_region(world, label):
    home, other = obj_of(world, label), obj_of(world, label, "other")
    for persona in STAFF_ROLES:
        response = admin_client(world, persona).get(url(label, "changelist"))
        shown = {obj.pk for obj in response.context["cl"].result_list}
        assert home.pk in shown, persona
        assert (other.pk in shown) == (persona in PROVINCE_ROLES), persona
        assert response.context["cl"].result_count == len(shown), persona


# Actions offered to each role, beyond "delete_selected" (offered with the delete permission).
ACTIONS = {
    "tracker.enterprise": {
        "recompute_selected": {PA, PS, RS},
        "restore_selected": {PA},  # delete_enterprise: the province admin's
        "hard_delete_selected": {PA},  # tracker.hard_delete_enterprise
    },
    "tracker.eligibilityresult": {"add_to_batch": {PA, PS, RS}},
    "tracker.designationbatch": {
        **{step: {PA, PS} for step in ("publicize", "publish", "withdraw", "add_due_reviews")},
        "export_publicity_list": ALL,
    },
    "tracker.ruleset": {"copy_as_draft": {PA, PS}, "retire": {PA}, "preview_against_active": {PA, PS}},
    "tracker.tierreport": {"rebuild_selected": {PA, PS, RS}},
    "tracker.apitoken": {"revoke_selected": {PA}},
    "django_celery_beat.periodictask": {name: {PA} for name in ("enable_tasks", "disable_tasks", "toggle_tasks",
                                                              "run_tasks")},
}
NO_BULK_DELETE = {"tracker.apitoken"}  # tokens are revoked by their own action


@pytest.mark.parametrize("label", sorted(ADMIN_ACCESS))
def test_each_role_is_offered_the_expected_actions(world, label):
    factory = RequestFactory()
    for persona in STAFF_ROLES:
        if expected(label, "changelist", persona) != 200:
            continue  # no changelist, no actions
        request = factory.get("/")
        request.user = world.users[persona]
        offered = set(model_admin(label).get_actions(request))
        wanted = {name for name, roles in ACTIONS.get(label, {}).items() if persona in roles}
        if persona in ADMIN_ACCESS[label]["delete"] and label not in NO_BULK_DELETE:
            wanted.add("delete_selected")
        assert offered == wanted, (persona, offered, wanted)


def test_an_action_on_another_regions_object_leaves_it_alone(world):
    home, other = world.home.enterprise, world.other.enterprise
    response = admin_client(world, RS).post(
        url("tracker.enterprise", "changelist"),
        {"action": "recompute_selected", "_selected_action": [home.pk, other.pk]},
    )
    assert response.status_code == 302
    run = EvaluationRun.objects.filter(requested_by=world.users[RS]).get()
    assert run.chunks.get().enterprise_ids == [home.pk]


AUTOCOMPLETES = [
    ("tracker", "annualmetrics", "enterprise"),
    ("tracker", "designation", "enterprise"),
    ("tracker", "enterprise", "region"),
    ("tracker", "ruleset", "jurisdiction"),
]


@pytest.mark.parametrize(("app", "model", "field"), AUTOCOMPLETES)
def test_autocompletes_offer_a_city_user_only_their_region(world, app, model, field):
    home = {"enterprise": world.home.enterprise, "region": world.home.enterprise.region,
            "jurisdiction": world.home.enterprise.region}[field]
    other = {"enterprise": world.other.enterprise, "region": world.other.enterprise.region,
             "jurisdiction": world.other.enterprise.region}[field]
    for persona in STAFF_ROLES:
        response = admin_client(world, persona).get(
            reverse("admin:autocomplete"), {"app_label": app, "model_name": model, "field_name": field, "term": ""}
        )
        if response.status_code == 403:
            assert persona not in ADMIN_ACCESS[f"{app}.{model}"]["change"] | ADMIN_ACCESS[f"{app}.{model}"]["add"]
            continue
        ids = {int(row["id"]) for row in response.json()["results"]}
        assert str(home.pk) and home.pk in ids, (persona, field)
        assert (other.pk in ids) == (persona in PROVINCE_ROLES), (persona, field)


def test_a_city_users_foreign_key_choices_are_their_region(world):
    """A crafted POST naming another region's enterprise is refused like an unknown id."""
    client = admin_client(world, RS)
    response = client.post(
        url("tracker.annualmetrics", "add"),
        {"enterprise": world.other.enterprise.pk, "fiscal_year": 2020, "source": "entered"},
    )
    assert response.status_code == 200
    assert "enterprise" in response.context["adminform"].form.errors
    assert not world.other.enterprise.metrics.filter(fiscal_year=2020).exists()


def test_history_versions_cannot_be_posted_back(world):
    enterprise = world.home.enterprise
    enterprise.name = "改名"
    enterprise.save()
    version = enterprise.history.latest()
    response = admin_client(world, PA).post(
        reverse("admin:tracker_enterprise_simple_history", args=[enterprise.pk, version.history_id]),
        {"name": "旧名"},
    )
    assert response.status_code == 403
    enterprise.refresh_from_db()
    assert enterprise.name == "改名"


def test_another_regions_history_version_is_not_found(world):
    enterprise = world.other.enterprise
    enterprise.name = "改名"
    enterprise.save()
    version = enterprise.history.latest()
    for persona in RESTRICTED_ROLES & STAFF_ROLES:
        response = admin_client(world, persona).get(
            reverse("admin:tracker_enterprise_simple_history", args=[enterprise.pk, version.history_id])
        )
        assert response.status_code == 404, persona


def test_objects_of_both_regions_exist(world):
    assert world.home.enterprise.region.code == HOME and world.other.enterprise.region.code == OTHER


#
# Pages an admin adds of its own (get_urls): by URL name, what they need and what they answer
#

# The admin site's own pages (index, login…) and the five standard pages of every ModelAdmin.
SITE_PAGES = {"index", "login", "logout", "password_change", "password_change_done", "autocomplete", "jsi18n",
              "view_on_site", "app_list"}
STANDARD = ("_changelist", "_add", "_change", "_delete", "_history", "_simple_history", "_password_change")
IMPORTERS = {PA, PS, RS}  # add_importjob
# URL name → (method, roles allowed, success status, scoped by region). POSTs answer with a redirect.
CUSTOM_PAGES = {
    "tracker_evaluationrun_recompute": ("post", {PA, PS}, 302, False),
    "tracker_designationbatch_step": ("post", {PA, PS}, 302, False),
    "tracker_designationbatch_publicity": ("get", ALL, 200, False),
    "tracker_designationbatch_publicity_pdf": ("get", ALL, 200, False),
    "tracker_importjob_upload": ("get", IMPORTERS, 200, False),
    "tracker_importjob_template": ("get", ALL, 200, False),
    "tracker_importjob_preview": ("get", ALL, 200, True),
    "tracker_importjob_progress": ("get", ALL, 200, True),
    "tracker_importjob_confirm": ("post", IMPORTERS, 302, True),
    "tracker_importjob_discard": ("post", IMPORTERS, 302, True),
    "tracker_importjob_file": ("get", ALL, 200, True),
    "tracker_importjob_rejected": ("get", ALL, 200, True),
    "tracker_tierreport_xlsx": ("get", ALL, 200, True),
    "tracker_tierreport_pdf": ("get", ALL, 200, True),
    "tracker_tierreport_build": ("get", {PA, PS, RS}, 200, False),  # add_tierreport
    "tracker_tierreport_subscriptions": ("get", ALL, 200, False),  # one's own
    # Excel out: what the changelist shows, for whoever may see the changelist (tests/access/test_exports.py)
    **{
        f"tracker_{model}_export": ("get", ALL, 200, False)
        for model in ("enterprise", "annualmetrics", "designation", "eligibilityresult", "tierchange")
    },
    "tracker_evaluationrun_export": ("get", {PA, PS}, 200, False),
    # An export job's page and file: its requester's (and a province admin's), tests/access/test_export_jobs.py
    "tracker_exportjob_status": ("get", ALL, 200, False),
    "tracker_exportjob_download": ("get", ALL, 200, False),
    # A result by enterprise, tier and year redirects to today's row (another region's: 404, tests/admin)
    "tracker_eligibilityresult_by": ("get", ALL, 302, False),
    # A draft's criteria: changed by those who may change rulesets, read by everyone who may view them
    "tracker_ruleset_criteria": ("get", {PA, PS}, 200, False),
    "tracker_ruleset_upload": ("get", {PA, PS}, 200, False),
    "tracker_ruleset_preview": ("get", {PA, PS}, 200, False),
    "tracker_ruleset_yaml": ("get", ALL, 200, False),
    "tracker_ruleset_copy": ("get", {PA, PS}, 200, False),
}


def own_pages() -> set[str]:
    names = set()

    def walk(patterns):
        for entry in patterns:
            if hasattr(entry, "url_patterns"):
                walk(entry.url_patterns)
            elif entry.name:
                names.add(entry.name)

    walk(admin.site.get_urls())
    return {name for name in names if name not in SITE_PAGES and not name.endswith(STANDARD)}


def test_every_page_of_its_own_has_an_entry():
    assert own_pages() == set(CUSTOM_PAGES)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def import_job(code: str) -> ImportJob:
    """A previewed metrics import by the office of ``code``'s city, with its file and rejected rows kept."""
    job = ImportJob.objects.create(
        kind="metrics", status="previewed", original_name="年度更新.xlsx", region=region(code[:4] + "00"),
        new_count=1, rejected_count=0,
    )
    job.file.save("update.xlsx", ContentFile(b"xlsx"), save=False)
    job.rejected_file.save("rejected.xlsx", ContentFile(b"xlsx"), save=False)
    job.save()
    return job


def export_job(user) -> ExportJob:
    job = ExportJob.objects.create(requested_by=user, list_label="tracker.enterprise", kind="xlsx", title="企业名录",
                                   status="done", filename="企业名录.xlsx")
    job.file.save("export.xlsx", ContentFile(b"xlsx"))
    return job


def page_args(world, name: str, code: str = HOME, persona: str | None = None) -> list:
    if name.startswith("tracker_exportjob_"):
        return [export_job(world.users.get(persona)).pk]  # the persona's own
    if name.startswith("tracker_importjob_") and name not in ("tracker_importjob_upload", "tracker_importjob_template"):
        return [import_job(code).pk]
    if name == "tracker_importjob_template":
        return ["metrics"]
    if name == "tracker_designationbatch_step":
        return [DesignationBatch.objects.create(kind="new", tier=world.tier, year=2026, name="第二批").pk, "withdraw"]
    if name in ("tracker_designationbatch_publicity", "tracker_designationbatch_publicity_pdf"):
        return [world.batch.pk]
    if name in ("tracker_tierreport_xlsx", "tracker_tierreport_pdf"):
        return [tier_report(code).pk]
    if name == "tracker_eligibilityresult_by":
        return [world.home.enterprise.pk, world.tier.pk, 2025]
    if name.endswith("_export"):
        return ["xlsx"]
    if name.startswith("tracker_ruleset_"):
        return [ruleset_draft(world).pk]
    return []


def ruleset_draft(world):
    return ruleset_copy_as_draft(ruleset=world.ruleset)


@pytest.mark.parametrize("name", sorted(CUSTOM_PAGES))
def test_each_persona_gets_the_expected_status_on_a_page_of_its_own(world, media, name):
    method, allowed, status, _scoped = CUSTOM_PAGES[name]
    outcomes = {}
    for persona in PERSONAS:
        args = page_args(world, name, persona=persona)
        response = getattr(admin_client(world, persona), method)(reverse(f"admin:{name}", args=args))
        if persona in ("anonymous", "no_role", "integrator_ro", "integrator_rw"):
            want = 302
            assert response.status_code != 302 or "/admin/login/" in response["Location"], persona
        else:
            want = status if persona in allowed else 403
        outcomes[persona] = (response.status_code, want)
    wrong = {p: o for p, o in outcomes.items() if o[0] != o[1]}
    assert not wrong, wrong


@pytest.mark.parametrize("name", sorted(name for name, entry in CUSTOM_PAGES.items() if entry[3]))
def test_another_regions_import_is_not_found_on_every_page_of_it(world, media, name):
    method, allowed, status, _scoped = CUSTOM_PAGES[name]
    for persona in sorted(allowed & STAFF_ROLES):
        client = admin_client(world, persona)
        response = getattr(client, method)(reverse(f"admin:{name}", args=page_args(world, name, OTHER)))
        missing = getattr(client, method)(reverse(f"admin:{name}", args=[987654321]))
        if persona in PROVINCE_ROLES:
            assert response.status_code == status, persona
        else:
            assert response.status_code == missing.status_code == 404, persona
