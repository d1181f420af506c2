"""The API's permission matrix: every route × method of the URL conf and the schema, for anonymous
users, a user with no role, each role, and another region's object.

ROUTES names each operation's resource and action; ACCESS says, as a literal table, which roles may
do what. A route added to the API (or any public route outside the admin) without an entry here fails
`test_every_route_has_an_entry`.
Expected outcomes: anonymous 401; no role or a role without the permission 403; allowed 200/201/202/
204; another region's object 404 (exactly like an id that does not exist) and another region's
enterprise or region named in a body 400 naming the field, for users whose office is a city.
"""

import itertools
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

from tests.access.conftest import HOME, OTHER, PROVINCE_ROLES, RESTRICTED_ROLES, ROLES, api_client
from tests.factories import ClusterFactory, RegionFactory, TierFactory, make_uscc, region
from tracker.models import AnnualMetrics, BatchReview, Designation, DesignationBatch, Enterprise, Objection

pytestmark = pytest.mark.django_db

ALL = set(ROLES)
EDITORS = {"province_admin", "province_staff", "region_staff", "integrator_rw"}
PROVINCE = set(PROVINCE_ROLES)
ADMIN = {"province_admin"}

# resource → action → roles allowed. Reads of region-owned data are scoped; reference data is read by all.
ACCESS = {
    "region": {"list": ALL, "retrieve": ALL, "create": ADMIN, "update": ADMIN, "delete": ADMIN},
    "cluster": {"list": ALL, "retrieve": ALL, "create": ADMIN, "update": ADMIN, "delete": ADMIN},
    "tier": {"list": ALL, "retrieve": ALL, "create": ADMIN, "update": ADMIN, "delete": ADMIN},
    "ruleset": {"list": ALL, "retrieve": ALL},
    "enterprise": {"list": ALL, "retrieve": ALL, "create": EDITORS, "update": EDITORS, "delete": ADMIN,
                   "restore": ADMIN, "evaluate": ALL},
    "metrics": {"list": ALL, "retrieve": ALL, "create": EDITORS, "update": EDITORS, "delete": EDITORS},
    "designation": {"list": ALL, "retrieve": ALL, "create": EDITORS, "update": EDITORS, "delete": EDITORS},
    "result": {"list": ALL, "retrieve": ALL, "of_enterprise": ALL},
    "gap": {"list": ALL, "retrieve": ALL},
    "run": {"list": PROVINCE, "retrieve": PROVINCE, "create": PROVINCE},
    "simulation": {"run": ALL},
    # A batch is the province's: its steps need publish_designation; cities list batches, see their own
    # candidates, reviews and objections (test_batches_and_imports.py) and add candidates of their region.
    "batch": {"list": ALL, "retrieve": ALL, "create": PROVINCE, "update": PROVINCE, "candidates": ALL,
              "add_candidates": EDITORS, "reviews": ALL, "objections": ALL,
              **dict.fromkeys(("publicize", "publish", "withdraw", "list_due", "record_review", "record_objection",
                               "resolve_objection"), PROVINCE)},
    # Reports: read by every role (scoped to the reader's region), built by hand by staff who edit.
    "report": {"list": ALL, "retrieve": ALL, "create": PROVINCE | {"region_staff"}, "xlsx": ALL, "pdf": ALL},
    "health": {"check": None},  # public
    "prometheus": {"scrape": None},  # /metrics: public in Django; the nginx site lets only the monitoring hosts in
    "unknown_url": {"answer": None},  # any other /api/ URL: a JSON 404 for everyone (api.errors.api_not_found)
}
SUCCESS = {"list": 200, "retrieve": 200, "evaluate": 200, "of_enterprise": 200, "create": 201, "update": 200,
           "delete": 204, "restore": 200, "run": 200, "check": 200, "scrape": 200, "candidates": 200, "add_candidates": 200,
           "reviews": 200, "objections": 200, "publicize": 200, "publish": 200, "withdraw": 200, "list_due": 200,
           "record_review": 200, "record_objection": 201, "resolve_objection": 200, "xlsx": 200, "pdf": 200,
           "answer": 404}
ACCEPTED = {("run", "create"): 202}  # a run is queued, not created in full


def success(resource: str, action: str) -> int:
    return ACCEPTED.get((resource, action), SUCCESS[action])


# Region-owned resources: another region's object is not found.
SCOPED = {"region", "enterprise", "metrics", "designation", "result", "gap", "report"}

ROUTES = {
    ("/api/v1/regions/", "get"): ("region", "list"),
    ("/api/v1/regions/", "post"): ("region", "create"),
    ("/api/v1/regions/{id}/", "get"): ("region", "retrieve"),
    ("/api/v1/regions/{id}/", "put"): ("region", "update"),
    ("/api/v1/regions/{id}/", "patch"): ("region", "update"),
    ("/api/v1/regions/{id}/", "delete"): ("region", "delete"),
    ("/api/v1/clusters/", "get"): ("cluster", "list"),
    ("/api/v1/clusters/", "post"): ("cluster", "create"),
    ("/api/v1/clusters/{id}/", "get"): ("cluster", "retrieve"),
    ("/api/v1/clusters/{id}/", "put"): ("cluster", "update"),
    ("/api/v1/clusters/{id}/", "patch"): ("cluster", "update"),
    ("/api/v1/clusters/{id}/", "delete"): ("cluster", "delete"),
    ("/api/v1/tiers/", "get"): ("tier", "list"),
    ("/api/v1/tiers/", "post"): ("tier", "create"),
    ("/api/v1/tiers/{code}/", "get"): ("tier", "retrieve"),
    ("/api/v1/tiers/{code}/", "put"): ("tier", "update"),
    ("/api/v1/tiers/{code}/", "patch"): ("tier", "update"),
    ("/api/v1/tiers/{code}/", "delete"): ("tier", "delete"),
    ("/api/v1/rulesets/", "get"): ("ruleset", "list"),
    ("/api/v1/rulesets/{id}/", "get"): ("ruleset", "retrieve"),
    ("/api/v1/enterprises/", "get"): ("enterprise", "list"),
    ("/api/v1/enterprises/", "post"): ("enterprise", "create"),
    ("/api/v1/enterprises/{id_or_uscc}/", "get"): ("enterprise", "retrieve"),
    ("/api/v1/enterprises/{id_or_uscc}/", "put"): ("enterprise", "update"),
    ("/api/v1/enterprises/{id_or_uscc}/", "patch"): ("enterprise", "update"),
    ("/api/v1/enterprises/{id_or_uscc}/", "delete"): ("enterprise", "delete"),
    ("/api/v1/enterprises/{id_or_uscc}/restore/", "post"): ("enterprise", "restore"),
    ("/api/v1/enterprises/{id_or_uscc}/eligibility/", "get"): ("enterprise", "evaluate"),
    ("/api/v1/enterprises/{id_or_uscc}/results/", "get"): ("result", "of_enterprise"),
    ("/api/v1/metrics/", "get"): ("metrics", "list"),
    ("/api/v1/metrics/", "post"): ("metrics", "create"),
    ("/api/v1/metrics/{id}/", "get"): ("metrics", "retrieve"),
    ("/api/v1/metrics/{id}/", "put"): ("metrics", "update"),
    ("/api/v1/metrics/{id}/", "patch"): ("metrics", "update"),
    ("/api/v1/metrics/{id}/", "delete"): ("metrics", "delete"),
    ("/api/v1/designations/", "get"): ("designation", "list"),
    ("/api/v1/designations/", "post"): ("designation", "create"),
    ("/api/v1/designations/{id}/", "get"): ("designation", "retrieve"),
    ("/api/v1/designations/{id}/", "put"): ("designation", "update"),
    ("/api/v1/designations/{id}/", "patch"): ("designation", "update"),
    ("/api/v1/designations/{id}/", "delete"): ("designation", "delete"),
    ("/api/v1/results/", "get"): ("result", "list"),
    ("/api/v1/results/{id}/", "get"): ("result", "retrieve"),
    ("/api/v1/gaps/", "get"): ("gap", "list"),
    ("/api/v1/gaps/{id}/", "get"): ("gap", "retrieve"),
    ("/api/v1/runs/", "get"): ("run", "list"),
    ("/api/v1/runs/", "post"): ("run", "create"),
    ("/api/v1/runs/{id}/", "get"): ("run", "retrieve"),
    ("/api/v1/eligibility/simulate/", "post"): ("simulation", "run"),
    ("/api/v1/batches/", "get"): ("batch", "list"),
    ("/api/v1/batches/", "post"): ("batch", "create"),
    ("/api/v1/batches/{id}/", "get"): ("batch", "retrieve"),
    ("/api/v1/batches/{id}/", "patch"): ("batch", "update"),
    ("/api/v1/batches/{id}/candidates/", "get"): ("batch", "candidates"),
    ("/api/v1/batches/{id}/candidates/", "post"): ("batch", "add_candidates"),
    ("/api/v1/batches/{id}/publicize/", "post"): ("batch", "publicize"),
    ("/api/v1/batches/{id}/publish/", "post"): ("batch", "publish"),
    ("/api/v1/batches/{id}/withdraw/", "post"): ("batch", "withdraw"),
    ("/api/v1/batches/{id}/reviews/", "get"): ("batch", "reviews"),
    ("/api/v1/batches/{id}/reviews/", "post"): ("batch", "list_due"),
    ("/api/v1/batches/{id}/reviews/{review_id}/", "patch"): ("batch", "record_review"),
    ("/api/v1/batches/{id}/objections/", "get"): ("batch", "objections"),
    ("/api/v1/batches/{id}/objections/", "post"): ("batch", "record_objection"),
    ("/api/v1/batches/{id}/objections/{objection_id}/resolve/", "post"): ("batch", "resolve_objection"),
    ("/api/v1/reports/", "get"): ("report", "list"),
    ("/api/v1/reports/", "post"): ("report", "create"),
    ("/api/v1/reports/{id}/", "get"): ("report", "retrieve"),
    ("/api/v1/reports/{id}/xlsx/", "get"): ("report", "xlsx"),
    ("/api/v1/reports/{id}/pdf/", "get"): ("report", "pdf"),
    ("/health/", "get"): ("health", "check"),
    ("/metrics", "get"): ("prometheus", "scrape"),
    ("/api/", "get"): ("unknown_url", "answer"),
}
# Routes of the URL conf that the OpenAPI schema does not describe (plain Django views).
OUTSIDE_THE_SCHEMA = {("/metrics", "get"), ("/api/", "get")}


#
# The routes of the URL conf and the schema, and the table
#


def schema_operations() -> set[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {(path, method) for path, operations in schema["paths"].items() for method in operations}


def url_conf_paths() -> set[str]:
    """Every route of the URL conf outside the admin, as schema-style paths (format suffixes, the
    browsable API root, the schema and its Swagger UI, and the site root, a redirect to the admin, aside)."""
    found = set()

    def walk(patterns, prefix):
        for entry in patterns:
            text = prefix + str(entry.pattern)
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, text)
            elif isinstance(entry, URLPattern):
                found.add(text)

    walk(get_resolver().url_patterns, "")
    paths = set()
    for text in found:
        if "format" in text or text.startswith("admin/"):
            continue
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", text)
        text = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text)
        text = "/" + text.replace("^", "").replace("$", "")
        if text.startswith(("/api/schema", "/api/docs")) or text in ("/api/v1/", "/"):
            continue
        paths.add(text)
    return paths


def test_every_route_has_an_entry():
    operations = schema_operations() | OUTSIDE_THE_SCHEMA
    assert operations == set(ROUTES), (
        f"missing from ROUTES: {sorted(operations - set(ROUTES))}; not in the schema: "
        f"{sorted(set(ROUTES) - operations)}"
    )
    # The URL conf names a detail route's key {pk} where the schema says {id} or {code}.
    def generic(paths):
        return {re.sub(r"\{\w+\}", "{}", path) for path in paths}

    assert generic(url_conf_paths()) == generic(path for path, _method in operations)


def test_every_resource_and_action_is_in_the_table():
    for resource, action in ROUTES.values():
        assert action in ACCESS[resource], (resource, action)


#
# Requests
#


def fill(path: str, obj) -> str:
    key = {"{id}": getattr(obj, "pk", None), "{code}": getattr(obj, "code", None),
           "{id_or_uscc}": getattr(obj, "pk", None), "{review_id}": getattr(obj, "review_id", None),
           "{objection_id}": getattr(obj, "objection_id", None)}
    for name, value in key.items():
        path = path.replace(name, str(value))
    return path


class Requests:
    """For a route: the object a detail route addresses and the body a write sends, in a county."""

    def __init__(self, world):
        self.world = world
        self.years = itertools.count(2000)  # one metrics year per request: one row per enterprise and year

    def target(self, resource: str, code: str, action: str):
        """The object of a detail route. Deletes and reference writes get an object of their own."""
        world = self.world
        place = world.home if code == HOME else world.other
        if resource == "region":
            return RegionFactory(code=f"{code[:4]}9{len(RegionFactory._meta.model.objects.all()) % 10}",
                                 name="测试区", level="county", parent=region(code[:4] + "00")) \
                if action in ("update", "delete") else region(code)
        if resource == "cluster":
            return ClusterFactory() if action in ("update", "delete") else world.cluster
        if resource == "tier":
            return TierFactory(code=f"tier_{TierFactory._meta.model.objects.count()}", ladder_order=9) \
                if action in ("update", "delete") else world.tier
        if resource == "ruleset":
            return world.ruleset
        if resource == "run":
            return world.run
        if resource == "enterprise":
            if action == "restore":  # an archived enterprise of its own
                enterprise = world.fresh_enterprise(code)
                Enterprise.objects.filter(pk=enterprise.pk).update(archived_at="2026-01-01T00:00:00Z")
                return enterprise
            return world.fresh_enterprise(code) if action == "delete" else place.enterprise
        if resource == "metrics":
            return place.metrics if action != "delete" else AnnualMetrics.objects.create(
                enterprise=place.enterprise, fiscal_year=next(self.years)
            )
        if resource == "designation":
            return place.designation if action != "delete" else Designation.objects.create(
                enterprise=place.enterprise, tier=world.tier
            )
        if resource in ("result", "gap"):
            return place.result if action != "of_enterprise" else place.enterprise
        if resource == "batch":
            return self.batch(code, action)
        if resource == "report":
            return self.report(code)
        return None

    def report(self, code: str):
        """The report of the place's city on the world's run date (built once, through the service)."""
        from tracker.models import TierReport
        from tracker.services.reports import report_build

        city = code[:4] + "00"
        found = TierReport.objects.filter(region__code=city, report_date=self.world.run.as_of).first()
        return found or report_build(report_date=self.world.run.as_of, region_code=city)

    def batch(self, code: str, action: str):
        """A batch in the state the step needs (its own, since a step moves it on); the others read the
        world's draft batch."""
        world = self.world
        kinds = {"list_due": "review", "record_review": "review"}
        statuses = {"publish": "publicizing", "record_objection": "publicizing", "resolve_objection": "publicizing"}
        if action not in ("publicize", "add_candidates", "withdraw", *kinds, *statuses):
            return world.batch
        batch = DesignationBatch.objects.create(
            kind=kinds.get(action, "new"), tier=world.tier, year=2026, name="第二批", document_no="苏工信〔2026〕9号",
            status=statuses.get(action, "draft"), publicity_start="2026-06-10", publicity_end="2026-06-16",
            objection_contact="中小企业处",
        )
        enterprise = world.fresh_enterprise(code)  # a title of its own: publishing never overlaps another
        if action in ("publicize", "publish", "record_objection", "resolve_objection"):
            designation = Designation.objects.create(
                enterprise=enterprise, tier=world.tier, designation_batch=batch,
                status="candidate" if action == "publicize" else "publicized",
            )
            batch.designation_id = designation.pk
            if action == "resolve_objection":
                batch.objection_id = Objection.objects.create(
                    batch=batch, designation=designation, received_on="2026-06-12", objector="张三", content="异议"
                ).pk
        if action == "record_review":
            designation = Designation.objects.create(enterprise=enterprise, tier=world.tier, status="review_due",
                                                     recognized_on="2023-06-01", valid_until="2026-05-31")
            batch.review_id = BatchReview.objects.create(batch=batch, designation=designation).pk
        return batch

    def body(self, resource: str, code: str, method: str, obj) -> dict | None:
        world = self.world
        place = world.home if code == HOME else world.other
        if resource == "region":
            if method == "patch":
                return {"name_en": "Test"}
            return {"code": obj.code if obj else "320199", "name": "测试区", "level": "county",
                    "parent": code[:4] + "00"}
        if resource == "cluster":
            return {"name_en": "Test"} if method == "patch" else {
                "code": obj.code if obj else "test-new", "name_zh": "测试集群", "group": "future"}
        if resource == "tier":
            return {"description": "x"} if method == "patch" else {
                "code": obj.code if obj else "tier_new", "name_zh": "测试", "name_en": "Test", "track": "growth",
                "ladder_order": 9}
        if resource == "enterprise":
            if method == "patch":
                return {"name": "改名科技有限公司"}
            return {"uscc": obj.uscc if obj else make_uscc(code), "name": "新建科技有限公司", "region": code}
        if resource == "metrics":
            if method == "patch":
                return {"employees": 130}
            return {"enterprise": place.enterprise.pk, "fiscal_year": obj.fiscal_year if obj else next(self.years),
                    "revenue": "60000000.00"}
        if resource == "designation":
            if method == "patch":
                return {"note": "已核对"}
            return {"enterprise": place.enterprise.pk, "tier": world.tier.code, "status": "candidate"}
        if resource == "run":
            return {"enterprises": [str(place.enterprise.pk)]}
        if resource == "report":
            return {"date": world.run.as_of.isoformat(), "region": code[:4]}
        if resource == "simulation":
            return {"as_of": "2026-05-01", "enterprise": {"sector": "industry"},
                    "metrics": [{"fiscal_year": 2025, "revenue": 150_000_000}]}
        if resource == "batch":
            return self.batch_body(place, method, obj)
        return None

    def batch_body(self, place, method: str, obj) -> dict:
        if obj is None:  # a new batch
            return {"kind": "new", "tier": self.world.tier.code, "year": 2027, "name": "2027年第一批"}
        if method == "patch":
            return {"outcome": "passed"} if getattr(obj, "review_id", None) else {"objection_contact": "中小企业处"}
        if getattr(obj, "objection_id", None):
            return {"resolution": "dismissed"}
        if getattr(obj, "designation_id", None) and obj.status == "publicizing":
            return {"designation": obj.designation_id, "received_on": "2026-06-12", "objector": "李四",
                    "content": "书面异议"}
        return {"enterprises": [str(place.enterprise.pk)]} if obj.kind == "new" and obj.status == "draft" else {}


def call(client, method: str, path: str, body):
    return getattr(client, method)(path, body, format="json") if body is not None else getattr(client, method)(path)


def expected(resource: str, action: str, persona: str) -> int:
    allowed = ACCESS[resource][action]
    if allowed is None:
        return success(resource, action)
    if persona == "anonymous":
        return 401
    if persona not in allowed:
        return 403
    return success(resource, action)


PERSONAS = ["anonymous", "no_role", *ROLES]
BODILESS_STEPS = {("batch", "publicize"), ("batch", "publish"), ("batch", "withdraw")}


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[1].upper()} {r[0]}")
def test_each_persona_gets_the_expected_status_for_an_object_of_its_region(world, route):
    path, method = route
    resource, action = ROUTES[route]
    requests = Requests(world)
    outcomes = {}
    for persona in PERSONAS:
        obj = requests.target(resource, HOME, action) if "{" in path else None
        body = requests.body(resource, HOME, method, obj) if method in ("post", "put", "patch") else None
        if (resource, action) in BODILESS_STEPS:
            body = {}  # a step takes only its own optional fields: any other key is an unknown field (400)
        if method == "post" and resource == "enterprise":
            body["uscc"] = make_uscc(HOME)  # a new code for each creation
        response = call(api_client(world, persona), method, fill(path, obj), body)
        outcomes[persona] = (response.status_code, expected(resource, action, persona),
                             response.content[:300].decode(errors="replace"))
    wrong = {p: o for p, o in outcomes.items() if o[0] != o[1]}
    assert not wrong, wrong


@pytest.mark.parametrize(
    "route", sorted(r for r in ROUTES if ROUTES[r][0] in SCOPED and "{" in r[0]), ids=lambda r: f"{r[1].upper()} {r[0]}"
)
def test_another_regions_object_is_not_found(world, route):
    """The same request on 苏州's object: 404 for the city roles, as for the province roles it succeeds."""
    path, method = route
    resource, action = ROUTES[route]
    requests = Requests(world)
    outcomes = {}
    for persona in ROLES:
        if persona not in ACCESS[resource][action]:
            continue
        obj = requests.target(resource, OTHER, action)
        body = requests.body(resource, OTHER, method, obj) if method in ("put", "patch") else None
        response = call(api_client(world, persona), method, fill(path, obj), body)
        want = 404 if persona in RESTRICTED_ROLES else success(resource, action)
        outcomes[persona] = (response.status_code, want, response.content[:300].decode(errors="replace"))
    wrong = {p: o for p, o in outcomes.items() if o[0] != o[1]}
    assert not wrong, wrong


@pytest.mark.parametrize(
    "route", sorted(r for r in ROUTES if ROUTES[r][0] in SCOPED and ROUTES[r][1] == "list"), ids=lambda r: r[0]
)
def test_lists_show_only_the_region_of_a_city_user(world, route):
    path, _method = route
    resource, _action = ROUTES[route]
    home = Requests(world).target(resource, HOME, "retrieve")
    other = Requests(world).target(resource, OTHER, "retrieve")
    for persona in ROLES:
        response = api_client(world, persona).get(path, {"page_size": 500})
        assert response.status_code == 200, (persona, response.content[:300])
        ids = {row.get("id", row.get("code")) for row in response.json()["results"]}
        assert home.pk in ids, persona
        assert (other.pk in ids) == (persona in PROVINCE_ROLES), persona
        assert response.json()["count"] == len(ids)


@pytest.mark.parametrize(
    ("route", "field"),
    [
        (("/api/v1/enterprises/", "post"), "region"),
        (("/api/v1/metrics/", "post"), "enterprise"),
        (("/api/v1/designations/", "post"), "enterprise"),
        (("/api/v1/runs/", "post"), "enterprises"),
    ],
    ids=lambda value: value if isinstance(value, str) else value[0],
)
def test_naming_another_regions_object_in_a_body_is_a_400_naming_the_field(world, route, field):
    path, method = route
    resource, action = ROUTES[route]
    requests = Requests(world)
    for persona in ACCESS[resource][action]:
        body = requests.body(resource, OTHER, method, None)
        if resource == "enterprise":
            body["uscc"] = make_uscc(OTHER)
        response = call(api_client(world, persona), method, path, body)
        if persona in RESTRICTED_ROLES:
            assert response.status_code == 400, (persona, response.content[:300])
            assert field in response.json(), (persona, response.json())
        else:
            assert response.status_code == success(resource, action), (persona, response.content[:300])


def test_a_city_user_cannot_move_an_enterprise_out_of_the_region(world):
    enterprise = world.home.enterprise
    for persona in ("region_staff", "integrator_rw"):
        response = api_client(world, persona).patch(
            f"/api/v1/enterprises/{enterprise.pk}/", {"region": "320500"}, format="json"
        )
        assert response.status_code == 400, response.content
        assert "region" in response.json()
    enterprise.refresh_from_db()
    assert enterprise.region.code == HOME
    assert Enterprise.objects.get(pk=enterprise.pk).name == enterprise.name
