"""``/metrics``: Prometheus text format (request latency by route, the pipeline's counters and the
ledger's state). Not for the public: the nginx site in ``deploy/`` lets only the monitoring hosts in."""

from django.http import HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from tracker.observability.metrics import export_registry


@require_GET
def metrics_view(request):
    return HttpResponse(generate_latest(export_registry()), content_type=CONTENT_TYPE_LATEST)
