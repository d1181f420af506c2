"""What region scoping costs a reader: the same lists, as a province user and as a city user.

Requests go through Django's test client in this process (no HTTP server): the figure is the server's
own time for the view, its queries and its rendering. Each URL is requested once to warm caches, then
``repeat`` times; median and slowest are reported, and the median time of the COUNT queries in them
(run with DEBUG on, so that Django records each query's time).
"""

from __future__ import annotations

import statistics
import time

from django.contrib.auth import get_user_model
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tracker.models import Region
from tracker.services.roles import role_grant

URLS = [
    "/api/v1/enterprises/",
    "/api/v1/enterprises/?search=微电子",
    "/api/v1/metrics/?fiscal_year=2025",
    "/api/v1/designations/",
    "/api/v1/results/?tier=little_giant",
    "/api/v1/gaps/?tier=little_giant&near_miss=true",
    "/admin/tracker/enterprise/",
    "/admin/tracker/eligibilityresult/?tier=little_giant",
]


def bench_users(*, city: str) -> dict[str, object]:
    """A province staff member and a city staff member (created once, reused)."""
    User = get_user_model()
    users = {}
    for name, role, region in (("bench_province", "province_staff", None),
                               (f"bench_{city}", "region_staff", Region.objects.get(code=city))):
        user, _ = User.objects.get_or_create(username=name)
        role_grant(user=user, role=role, region=region, note="bench")
        users[name] = User.objects.get(pk=user.pk)
    return users


def measure(*, city: str = "320100", repeat: int = 10, urls: list[str] = URLS) -> list[dict]:
    rows = []
    for name, user in bench_users(city=city).items():
        client = Client(SERVER_NAME="localhost")
        client.force_login(user)
        for url in urls:
            response = client.get(url)  # warm-up
            if response.status_code != 200:
                raise RuntimeError(f"{name} {url}: {response.status_code}")
            times, counts = [], []
            for _ in range(repeat):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                # The exact COUNT(*) of the paginator, apart: it dominates at 1M, scoped or not.
                counts.append(sum(float(q["time"]) for q in queries if "COUNT(" in q["sql"].upper()) * 1000)
            body = response.json() if url.startswith("/api/") else None
            rows.append({
                "user": name,
                "url": url,
                "median_ms": round(statistics.median(times), 1),
                "count_ms": round(statistics.median(counts), 1),
                "max_ms": round(max(times), 1),
                "queries": len(queries),
                "count": body.get("count") if body else None,
            })
    return rows
