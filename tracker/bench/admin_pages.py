"""Every kind of admin page a staff member opens, timed as a province user and as a city user (issue 12).

Each changelist plain, with the filters staff use and a search; each change page; a result's
explanation; the report page; the admin home. The rows a URL names (an enterprise, a result, a
report) are read from the database through the user's own scope, so the same command runs on a
small database and at a million enterprises, and a city user opens pages of their own city.

Requests go through Django's test client in this process: the figure is the server's time for the
view, its queries and its rendering (no HTTP). Each URL once to warm up, then ``repeat`` times;
median, p95, and the number of queries of one request.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tracker.bench.scoped_reads import bench_users
from tracker.models import (
    AnnualMetrics,
    Cluster,
    ClusterMembership,
    Designation,
    DesignationBatch,
    EligibilityResult,
    Enterprise,
    EvaluationRun,
    Region,
    Ruleset,
    TierChange,
    TierReport,
)

ADMIN = "/admin/tracker"

# (page, URL template). Placeholders are filled per user by ``Names``: {region} a city for the
# province user and a county for the city user; {county}; {cluster}; {year}; {week} (7 days ago); row ids.
PAGES: list[tuple[str, str]] = [
    ("home", "/admin/"),
    ("enterprises", f"{ADMIN}/enterprise/"),
    ("enterprises · region", f"{ADMIN}/enterprise/?region={{region}}"),
    ("enterprises · region + held tier", f"{ADMIN}/enterprise/?region={{region}}&designated=specialized_sme"),
    ("enterprises · cluster", f"{ADMIN}/enterprise/?cluster={{cluster}}"),
    ("enterprises · sector + listed", f"{ADMIN}/enterprise/?sector=industry&listed__exact=1"),
    ("enterprises · archived", f"{ADMIN}/enterprise/?archived=true"),
    ("enterprises · search 恒达", f"{ADMIN}/enterprise/?q=恒达"),
    ("enterprises · search 微电子科技", f"{ADMIN}/enterprise/?q=微电子科技"),
    ("enterprises · search USCC prefix", f"{ADMIN}/enterprise/?q=91320"),
    ("enterprises · sorted by name", f"{ADMIN}/enterprise/?o=1"),
    ("enterprise page", f"{ADMIN}/enterprise/{{enterprise}}/change/"),
    ("enterprise history", f"{ADMIN}/enterprise/{{enterprise}}/history/"),
    ("metrics", f"{ADMIN}/annualmetrics/"),
    ("metrics · year + region", f"{ADMIN}/annualmetrics/?fiscal_year={{year}}&region={{region}}"),
    ("metrics · search 恒达", f"{ADMIN}/annualmetrics/?q=恒达"),
    ("metrics · year, by revenue", f"{ADMIN}/annualmetrics/?fiscal_year={{year}}&o=-3"),
    ("metrics page", f"{ADMIN}/annualmetrics/{{metrics}}/change/"),
    ("designations", f"{ADMIN}/designation/"),
    ("designations · tier + status + region",
     f"{ADMIN}/designation/?tier=specialized_sme&status=active&region={{region}}"),
    ("designations · due soon", f"{ADMIN}/designation/?due=soon"),
    ("designations · cluster", f"{ADMIN}/designation/?cluster={{cluster}}"),
    ("designations · search 恒达", f"{ADMIN}/designation/?q=恒达"),
    ("designation page", f"{ADMIN}/designation/{{designation}}/change/"),
    ("results", f"{ADMIN}/eligibilityresult/"),
    ("results · tier", f"{ADMIN}/eligibilityresult/?tier=little_giant"),
    ("results · tier + region + near miss",
     f"{ADMIN}/eligibilityresult/?tier=specialized_sme&region={{region}}&near_miss=1"),
    ("results · region + near miss", f"{ADMIN}/eligibilityresult/?region={{region}}&near_miss=1"),
    ("results · county + tier", f"{ADMIN}/eligibilityresult/?{{county_params}}&tier=innovative_sme"),
    ("results · eligible not designated",
     f"{ADMIN}/eligibilityresult/?tier=specialized_sme&status=eligible&designated=0&region={{region}}"),
    ("results · cluster + status", f"{ADMIN}/eligibilityresult/?cluster={{cluster}}&status=not_eligible"),
    ("results · evaluated this week", f"{ADMIN}/eligibilityresult/?evaluated_at__gte={{week}}"),
    ("results · year + tier", f"{ADMIN}/eligibilityresult/?fiscal_year={{year}}&tier=gazelle"),
    ("results · search 恒达", f"{ADMIN}/eligibilityresult/?q=恒达"),
    ("results · search USCC prefix", f"{ADMIN}/eligibilityresult/?tier=little_giant&q=91320"),
    ("results · gaps, closest first", f"{ADMIN}/eligibilityresult/?tier=specialized_sme&status=not_eligible&o=8"),
    ("results · ?o= by score (not offered)", f"{ADMIN}/eligibilityresult/?tier=little_giant&o=-6"),
    ("result page (explanation)", f"{ADMIN}/eligibilityresult/{{result}}/change/"),
    ("result page (chain leader)", f"{ADMIN}/eligibilityresult/{{leader}}/change/"),
    ("tier changes", f"{ADMIN}/tierchange/"),
    ("tier changes · tier + change + region",
     f"{ADMIN}/tierchange/?tier=specialized_sme&change=lost&region={{region}}"),
    ("tier changes · region + near miss", f"{ADMIN}/tierchange/?region={{region}}&near_miss=1"),
    ("tier changes · cluster + status", f"{ADMIN}/tierchange/?cluster={{cluster}}&to_status=eligible"),
    ("tier changes · this week", f"{ADMIN}/tierchange/?created_at__gte={{week}}"),
    ("tier changes · search 恒达", f"{ADMIN}/tierchange/?q=恒达"),
    ("tier change page", f"{ADMIN}/tierchange/{{change}}/change/"),
    ("runs", f"{ADMIN}/evaluationrun/"),
    ("run page (full run)", f"{ADMIN}/evaluationrun/{{run}}/change/"),
    ("reports", f"{ADMIN}/tierreport/"),
    ("report page", f"{ADMIN}/tierreport/{{report}}/change/"),
    ("batches", f"{ADMIN}/designationbatch/"),
    ("batch page", f"{ADMIN}/designationbatch/{{batch}}/change/"),
    ("import jobs", f"{ADMIN}/importjob/"),
    ("rulesets", f"{ADMIN}/ruleset/"),
    ("ruleset page", f"{ADMIN}/ruleset/{{ruleset}}/change/"),
    ("clusters", f"{ADMIN}/cluster/"),
    ("cluster page", f"{ADMIN}/cluster/{{cluster}}/change/"),
    ("regions", f"{ADMIN}/region/"),
    ("tiers", f"{ADMIN}/tier/"),
]


@dataclass
class PageTiming:
    page: str
    url: str
    status: int
    median_ms: float = 0.0
    p95_ms: float = 0.0
    queries: int = 0
    sql_ms: float = 0.0  # the database's share of the median request (from the query log)
    slowest_sql: str = ""
    slowest_ms: float = 0.0


def names_for(user, *, city: str) -> dict[str, str]:
    """The values of the URL placeholders for ``user``, read through the user's own scope."""
    from tracker.models.scoping import region_scope

    year = EvaluationRun.objects.current_fiscal_year()
    county = Region.objects.current().filter(parent__code=city, level=Region.Level.COUNTY).order_by("code").first()
    province = region_scope(user).unrestricted
    region = city if province else county.code
    enterprises = Enterprise.objects.visible_to(user)
    # A well-filled enterprise: one with a held title and several years of metrics (the slow kind of page).
    held = Designation.objects.visible_to(user).filter(status="active").order_by("id")
    enterprise = held.values_list("enterprise_id", flat=True).first() or enterprises.values_list("id", flat=True)[:1][0]
    results = EligibilityResult.objects.visible_to(user).filter(fiscal_year=year)
    result = results.filter(tier_id="specialized_sme", status="not_eligible", near_miss=True).values_list(
        "id", flat=True
    ).first() or results.values_list("id", flat=True).first()
    leader = results.filter(tier_id="chain_leader").order_by("-status").values_list("id", flat=True).first()
    biggest = (
        ClusterMembership.objects.values("cluster_id").annotate(n=Count("id")).order_by("-n").values_list(
            "cluster_id", flat=True
        ).first()
    ) or Cluster.objects.values_list("id", flat=True).first()
    run = EvaluationRun.objects.completed_full().order_by("-finished_at").values_list("id", flat=True).first()
    week = timezone.localdate() - dt.timedelta(days=7)
    return {
        "region": region,
        "county": county.code,
        "county_params": f"region={city}&county={county.code}" if province else f"region={county.code}",
        "cluster": str(biggest),
        "year": str(year),
        "week": week.isoformat(),
        "enterprise": str(enterprise),
        "metrics": _first(AnnualMetrics.objects.visible_to(user).filter(enterprise_id=enterprise)),
        "designation": _first(held),
        "result": str(result),
        "leader": str(leader or result),
        "change": _first(TierChange.objects.visible_to(user).order_by("-created_at", "-id")),
        "run": str(run),
        "report": _first(TierReport.objects.visible_to(user).select_related("region").latest_first()),
        "batch": _first(DesignationBatch.objects.visible_to(user).order_by("-id")),
        "ruleset": _first(Ruleset.objects.filter(tier_id="specialized_sme", status="active").order_by("-id")),
    }


def _first(queryset) -> str:
    pk = queryset.values_list("pk", flat=True).first()
    return "" if pk is None else str(pk)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_page(client: Client, page: str, url: str, *, repeat: int) -> PageTiming:
    status = client.get(url).status_code  # warm-up
    if status != 200:
        return PageTiming(page, url, status)
    times, sql_times, captured = [], [], []
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
        captured = queries.captured_queries
        sql_times.append(sum(float(q["time"]) for q in captured) * 1000)
    slowest = max(captured, key=lambda q: float(q["time"]), default={"sql": "", "time": "0"})
    return PageTiming(
        page,
        url,
        status,
        median_ms=statistics.median(times),
        p95_ms=_percentile(times, 0.95),
        queries=len(captured),
        sql_ms=statistics.median(sql_times),
        slowest_sql=slowest["sql"],
        slowest_ms=float(slowest["time"]) * 1000,
    )


def measure(*, city: str = "320100", repeat: int = 10, only: str = "") -> dict[str, list[PageTiming]]:
    """User name → a timing per page (pages whose placeholder names no row are left out)."""
    out = {}
    # Render without a collectstatic manifest, so the command needs neither DEBUG nor collectstatic.
    storages = {**settings.STORAGES,
                "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=storages):
        for name, user in bench_users(city=city).items():
            names = names_for(user, city=city)
            client = Client(SERVER_NAME="localhost")
            client.force_login(user)
            rows = []
            for page, template in PAGES:
                if only and only not in page:
                    continue
                url = template.format(**names)
                if "//" in url:
                    continue  # no such row in this database (no report built, no batch)
                rows.append(time_page(client, page, url, repeat=repeat))
            out[name] = rows
    return out
