"""``/health/``: database, broker, workers, beat and the last nightly run, for load balancers and monitoring.

200 when every check passes, 503 naming the failing ones. ``?checks=database,broker`` runs only
those (a load balancer in front of the web processes needs no more than the database).
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from api.schema import TiduAutoSchema
from tracker.observability.health import check_names, health_report

CHECKS = inline_serializer(
    "HealthCheck",
    {
        "name": serializers.ChoiceField(choices=check_names()),
        "ok": serializers.BooleanField(),
        "detail": serializers.CharField(),
    },
    many=True,
)
HEALTH = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(help_text="ok or fail"),
        "failing": serializers.ListField(child=serializers.CharField()),
        "checks": CHECKS,
    },
)


class HealthSchema(TiduAutoSchema):
    error_statuses = ("400",)  # an unknown check named; no authentication, permission or throttle


class HealthView(APIView):
    schema = HealthSchema()
    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "checks", str, description="Comma-separated names of the checks to run (default: all): "
                + ", ".join(check_names()),
            )
        ],
        responses={200: HEALTH, 503: HEALTH},
        auth=[],
    )
    def get(self, request):
        only = [n for n in request.query_params.get("checks", "").split(",") if n]
        unknown = sorted(set(only) - set(check_names()))
        if unknown:
            raise ValidationError({"checks": [_("未知的检查项：%(names)s") % {"names": ", ".join(unknown)}]})
        ok, checks = health_report(only=only or None)
        failing = [c["name"] for c in checks if not c["ok"]]
        body = {"status": "ok" if ok else "fail", "failing": failing, "checks": checks}
        return Response(body, status=status.HTTP_200_OK if ok else status.HTTP_503_SERVICE_UNAVAILABLE)
