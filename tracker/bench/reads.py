"""What an integrator and a staff member wait for at scale: the API's lists, filters, searches and
lookups, and the admin's pages, timed with 1 client and with several at once (issues 10 and 12).

Two ways to send the requests:
- in this process through Django's test client (server time only; several clients share one
  interpreter, so their throughput is bounded by the GIL and says little), or
- over HTTP to a running server (``--base-url http://127.0.0.1:8000`` with ``gunicorn config.wsgi -w 2``),
  logged in by a session cookie made here: the figures an integrator would see, throughput included.

The province user (``bench_province``) reads; the URLs that name rows (a USCC, a result, a metrics
row) are taken from the database so that the same command runs at 100k and at 1M.
"""

from __future__ import annotations

import http.client
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client

from tracker.models import AnnualMetrics, EligibilityResult, Enterprise
from tracker.services.roles import role_grant
from tracker.services.tokens import api_token_create

API_LISTS = [
    "/api/v1/enterprises/",
    "/api/v1/enterprises/?region=3205&sector=industry",
    "/api/v1/metrics/?fiscal_year=2025",
    "/api/v1/designations/?tier=specialized_sme&status=active",
    "/api/v1/results/?tier=little_giant",
    "/api/v1/results/?tier=specialized_sme&region=3205",
    "/api/v1/results/?tier=little_giant&status=eligible&region=320100",
    "/api/v1/gaps/?tier=little_giant&near_miss=true",
    "/api/v1/gaps/?tier=specialized_sme&region=3205&ordering=shortfall",
    "/api/v1/results/?tier=little_giant&page=200",
    "/api/v1/results/?tier=little_giant&cursor=",
]
API_SEARCHES = [
    "/api/v1/enterprises/?search=恒达",
    "/api/v1/enterprises/?search=微电子",
    "/api/v1/results/?tier=little_giant&search=恒达",
    "/api/v1/enterprises/?search=91320",
]
ADMIN_PAGES = [
    "/admin/tracker/enterprise/",
    "/admin/tracker/enterprise/?q=恒达",
    "/admin/tracker/enterprise/?q=微电子科技",
    "/admin/tracker/annualmetrics/",
    "/admin/tracker/annualmetrics/?fiscal_year=2025&region=3205",
    "/admin/tracker/annualmetrics/?q=恒达",
    "/admin/tracker/designation/",
    "/admin/tracker/eligibilityresult/?tier=little_giant",
    "/admin/tracker/eligibilityresult/?tier=specialized_sme&region=3205&near_miss=1",
    "/admin/tracker/tierchange/",
]


def bench_user():
    User = get_user_model()
    user, _ = User.objects.get_or_create(username="bench_province")
    role_grant(user=user, role="province_staff", region=None, note="bench")
    return User.objects.get(pk=user.pk)


def named_urls() -> dict[str, list[str]]:
    """URLs of single rows, read from the data: USCC lookups and the admin's change pages."""
    usccs = list(Enterprise.objects.order_by("id").values_list("uscc", flat=True)[:: max(1, _step())][:200])
    metrics_id = AnnualMetrics.objects.order_by("id").values_list("id", flat=True).first()
    leader = EligibilityResult.objects.filter(tier_id="chain_leader", status="eligible").values_list("id", flat=True)
    result_id = leader.first() or EligibilityResult.objects.values_list("id", flat=True).first()
    enterprise_id = Enterprise.objects.order_by("id").values_list("id", flat=True).first()
    return {
        "lookups": [f"/api/v1/enterprises/{code}/" for code in usccs],
        "admin_pages": [
            f"/admin/tracker/enterprise/{enterprise_id}/change/",
            f"/admin/tracker/annualmetrics/{metrics_id}/change/",
            f"/admin/tracker/eligibilityresult/{result_id}/change/",
        ],
        "api_detail": [f"/api/v1/results/{result_id}/"],
    }


def _step() -> int:
    # Spread the sampled USCCs over the whole table (the planner's estimate is enough).
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = 'tracker_enterprise'::regclass")
        rows = cursor.fetchone()[0] if connection.vendor == "postgresql" else 1000
    return max(1, int(rows) // 200)


class InProcess:
    """Django's test client, one per thread (each thread has its own database connection)."""

    def __init__(self, user):
        self.user = user
        self._local = threading.local()

    def get(self, url: str) -> int:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = Client(SERVER_NAME="localhost")
            client.force_login(self.user)
        return client.get(url).status_code


class OverHttp:
    """Keep-alive HTTP connections, one per thread: the API with the user's token (as an integrator),
    the admin with a session made here (the server must share this process's SECRET_KEY)."""

    def __init__(self, user, base_url: str):
        client = Client()
        client.force_login(user)
        self.cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        self.token = f"Token {api_token_create(owner=user, name='bench_reads', days=1)[1]}"
        parts = urllib.parse.urlsplit(base_url)
        self.host, self.port = parts.hostname, parts.port or 80
        self._local = threading.local()

    def get(self, url: str) -> int:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        path = urllib.parse.quote(url, safe="/?=&:")
        auth = {"Authorization": self.token} if url.startswith("/api/") else {"Cookie": self.cookie}
        conn.request("GET", path, headers={**auth, "Host": "localhost"})
        response = conn.getresponse()
        response.read()
        return response.status


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def single_client(get: Callable[[str], int], urls: list[str], *, repeat: int) -> list[dict]:
    """Each URL once to warm up, then ``repeat`` times in a row: median and p95 per URL."""
    rows = []
    for url in urls:
        status = get(url)
        if status != 200:
            raise RuntimeError(f"{url}: {status}")
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            get(url)
            times.append((time.perf_counter() - started) * 1000)
        rows.append({"url": url, "median_ms": statistics.median(times), "p95_ms": _percentile(times, 0.95)})
    return rows


def concurrent(get: Callable[[str], int], urls: list[str], *, clients: int, seconds: float) -> dict:
    """``clients`` threads request ``urls`` round-robin (each from its own offset) for ``seconds``."""
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def work(offset: int):
        mine = []
        i = offset
        try:
            while time.perf_counter() < deadline:
                url = urls[i % len(urls)]
                i += 1
                started = time.perf_counter()
                status = get(url)
                mine.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    errors.append(f"{url}: {status}")
        finally:
            connection.close()
            with lock:
                times.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(n * 7,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "clients": clients,
        "requests": len(times),
        "per_second": len(times) / wall,
        "median_ms": statistics.median(times) if times else 0.0,
        "p95_ms": _percentile(times, 0.95) if times else 0.0,
        "errors": errors[:5],
    }
