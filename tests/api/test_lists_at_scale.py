"""Lists that cost the same at a million rows: a count that stops at a cap (and says when it is an
estimate), a cursor that walks a whole list, no DISTINCT, searches served by the name's indexes, and a
bounded number of queries per request (figures: docs/benchmarks.md, "Reads at 1M")."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.access.conftest import DEFINITION
from tests.api.conftest import token_client, user_with_perms
from tests.factories import ClusterFactory, DesignationFactory, EnterpriseFactory, TierFactory, region
from tests.plans import plan_with_scans_and_sorts_priced_out
from tracker.models import ClusterMembership, EligibilityResult, Ruleset
from tracker.selectors import counts

pytestmark = pytest.mark.django_db

VIEW = ["view_enterprise", "view_annualmetrics", "view_designation", "view_eligibilityresult"]


@pytest.fixture
def client():
    return token_client(user_with_perms(*VIEW))


@pytest.fixture
def twelve(db):
    tier = TierFactory(code="little_giant")
    other = TierFactory(code="specialized_sme")
    ruleset = Ruleset.objects.create(tier=tier, version="T", effective_from="2020-01-01", status="active",
                                     reference="t", definition=DEFINITION)
    cluster = ClusterFactory()
    enterprises = EnterpriseFactory.create_batch(12, region=region("320506"))
    for n, enterprise in enumerate(enterprises):
        ClusterMembership.objects.create(enterprise=enterprise, cluster=cluster)
        DesignationFactory(enterprise=enterprise, tier=tier if n % 2 else other, status="active")
        EligibilityResult.objects.create(
            enterprise=enterprise, tier=tier, fiscal_year=timezone.localdate().year - 1,
            status="not_eligible", near_miss=n % 3 == 0, shortfall=n % 4, failing_count=1, ruleset=ruleset,
            failed_nodes=b"\x01", input_hash=0, evaluated_at=timezone.now(),
        )
    return enterprises


def distinct(sql: list[str]) -> list[str]:
    # The keyword, not a column such as distinctiveness_points.
    return [q for q in sql if re.search(r"\bDISTINCT\b", q, re.IGNORECASE)]


def get(client, url, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response.json(), [q["sql"] for q in queries.captured_queries]


def test_a_count_under_the_cap_is_exact_and_the_last_page_needs_no_count(client, twelve):
    body, sql = get(client, "/api/v1/enterprises/", page_size=5)
    assert (body["count"], body["count_is_estimate"]) == (12, False)
    assert body["next"].endswith("page=2&page_size=5") and body["previous"] is None
    last, sql = get(client, "/api/v1/enterprises/", page_size=5, page=3)
    assert (last["count"], last["count_is_estimate"], len(last["results"]), last["next"]) == (12, False, 2, None)
    assert not any("COUNT(" in q.upper() for q in sql)


def test_past_the_cap_the_count_is_an_estimate_and_says_so(client, twelve, monkeypatch):
    monkeypatch.setattr(counts, "COUNT_CAP", 5)
    body, sql = get(client, "/api/v1/enterprises/", page_size=2)
    if connection.vendor == "postgresql":
        assert body["count_is_estimate"] is True and body["count"] >= 6
        # The count read at most cap + 1 rows.
        assert any("COUNT(" in q.upper() and "LIMIT 6" in q for q in sql)
    else:  # other databases count exactly
        assert (body["count"], body["count_is_estimate"]) == (12, False)
    assert len(body["results"]) == 2 and body["next"]


def test_a_page_past_the_end_or_not_a_number_is_not_found(client, twelve):
    assert client.get("/api/v1/enterprises/", {"page": 9}).status_code == 404
    for page in ("0", "x", "last", "²"):
        response = client.get("/api/v1/enterprises/", {"page": page})
        assert response.status_code == 404 and "detail" in response.json()


@pytest.mark.parametrize("url", ["/api/v1/enterprises/", "/api/v1/results/?tier=little_giant", "/api/v1/gaps/"])
def test_a_cursor_walks_the_whole_list_in_id_order_at_the_same_cost_per_page(client, twelve, url):
    seen, costs = [], []
    page = client.get(url, {"cursor": "", "page_size": 5, "ordering": "-id"})
    while True:
        assert page.status_code == 200, page.content[:300]
        body = page.json()
        assert "count" not in body
        seen += [row["id"] for row in body["results"]]
        if not body["next"]:
            break
        with CaptureQueriesContext(connection) as queries:
            page = client.get(body["next"])
        costs.append(len(queries))
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 12
    assert len(set(costs)) == 1  # the second page costs what the last does


def test_a_cursor_goes_alone_a_page_number_or_a_second_cursor_beside_it_is_a_400(client, twelve):
    both = client.get("/api/v1/enterprises/", {"cursor": "", "page": "-3"})
    assert both.status_code == 400 and "page" in both.json(), both.content
    two = client.get("/api/v1/enterprises/?cursor=abc&cursor=")
    assert two.status_code == 400 and "cursor" in two.json(), two.content
    assert client.get("/api/v1/enterprises/", {"cursor": ""}).status_code == 200


LISTS = [
    ("/api/v1/enterprises/", {"tier": ["little_giant", "specialized_sme"], "cluster_id": [], "sector": "industry"}),
    ("/api/v1/enterprises/", {"region": "3205", "listed": "false"}),
    ("/api/v1/designations/", {"tier": ["little_giant", "specialized_sme"], "status": ["active", "renewed"]}),
    ("/api/v1/results/", {"tier": ["little_giant", "specialized_sme"], "status": ["not_eligible", "eligible"]}),
    ("/api/v1/gaps/", {"tier": "little_giant", "near_miss": "true", "region": "320506"}),
    ("/api/v1/metrics/", {"region": "3205", "fiscal_year": 2025}),
]


@pytest.mark.parametrize(("url", "params"), LISTS)
def test_lists_and_their_filters_run_no_distinct_and_a_bounded_number_of_queries(client, twelve, url, params):
    cluster = ClusterMembership.objects.first().cluster_id
    params = {**params, **({"cluster_id": cluster} if "cluster_id" in params else {}), "page_size": 5}
    body, sql = get(client, url, **params)
    assert body["count_is_estimate"] is False
    assert not distinct(sql)
    # authentication, the office, the permissions, the filters' choices, the current year, the page,
    # its count and its relations: never a query per row.
    assert len(sql) <= 12, "\n".join(sql)


def test_a_tiers_designations_in_a_status_are_read_in_the_lists_order_not_sorted(client, twelve):
    # At 1M the page sorted a tier's 36,000 active designations (70 ms); an index in the list's order
    # lets it stop at the page. With scans and sorts priced out, the plan shows which index serves it.
    body, sql = get(client, "/api/v1/designations/", tier="specialized_sme", status="active", page_size=5)
    page = next(q for q in sql if q.startswith('SELECT "tracker_designation"."id"'))
    plan = plan_with_scans_and_sorts_priced_out(page)
    assert "designation_tier_status_recent" in plan, plan
    assert " Sort " not in plan and "Sort Key" not in plan, plan
    assert [d["recognized_on"] for d in body["results"]] == sorted(
        (d["recognized_on"] for d in body["results"]), reverse=True
    )


def test_the_planner_knows_how_many_results_a_tier_has_in_a_year_and_status(twelve):
    # Without extended statistics PostgreSQL multiplied the three columns' selectivities (51,100
    # eligible little giants estimated for 8,893 at 1M) and walked a city's enterprises for its list.
    EligibilityResult.objects.filter(tier_id="little_giant").update(status="eligible")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracker_eligibilityresult")
        cursor.execute(
            "SELECT most_common_vals::text FROM pg_stats_ext WHERE statistics_name = 'result_tier_year_status'"
        )
        (values,) = cursor.fetchone()
    assert "little_giant" in values and "eligible" in values


def test_search_finds_two_character_fragments_and_uscc_fragments_through_their_indexes(client, twelve):
    target = EnterpriseFactory(name="苏州恒达精密机械有限公司")
    EnterpriseFactory(name="南京恒通精密有限公司")
    for term in ("恒达", "恒达精密", "州恒达", target.uscc[-6:], target.uscc.lower()):
        body, sql = get(client, "/api/v1/enterprises/", search=term)
        assert [row["name"] for row in body["results"]] == [target.name], term
    body, sql = get(client, "/api/v1/enterprises/", search="恒达")
    if connection.vendor == "postgresql":  # the two-character index (migration 0019) is asked
        assert any("tidu_name_bigrams" in q for q in sql)
    # A Chinese word never looks in the USCC column; both words must match.
    assert not any('"uscc"::text LIKE' in q and "恒达" in q for q in sql)
    assert get(client, "/api/v1/enterprises/", search="恒达 南京")[0]["results"] == []


def test_search_through_a_relation_uses_the_same_rules(client, twelve):
    enterprise = twelve[3]
    enterprise.name = "无锡恒达传感有限公司"
    enterprise.save()
    for url in ("/api/v1/results/", "/api/v1/gaps/"):
        body, sql = get(client, url, search="恒达")
        assert [row["enterprise"]["id"] for row in body["results"]] == [enterprise.id], url
        assert not distinct(sql)


def test_a_cursor_walks_a_list_keyed_by_code_too(twelve):
    """Tiers are keyed by their code, not an id: the cursor follows the primary key (a 500 before)."""
    client = token_client(user_with_perms(*VIEW, "view_tier"))
    page = client.get("/api/v1/tiers/", {"cursor": "", "page_size": 1})
    codes = []
    while True:
        assert page.status_code == 200, page.content[:300]
        codes += [row["code"] for row in page.json()["results"]]
        if not page.json()["next"]:
            break
        page = client.get(page.json()["next"])
    assert codes == sorted(codes) == ["little_giant", "specialized_sme"]
