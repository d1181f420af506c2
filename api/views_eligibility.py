"""Eligibility: what-if simulation, live evaluation of a stored enterprise, stored results, gaps, rulesets.

Evaluations go through tracker.services.eligibility (the recompute's engine path) and store nothing.
Stored results are read through the read layer: scoped to the reader's region, the current year by
default, failing criteria decoded by tracker.selectors.results, facts hidden from readers who may not
read metrics (tracker.selectors.explanations).
"""

import datetime as dt
import math

import numpy as np
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import check_enterprise_key, service_errors
from api.filtersets import YEAR_MAX, YEAR_MIN
from api.filtersets_results import GapFilterSet, ResultFilterSet, RulesetFilterSet
from api.schema import TiduAutoSchema
from api.scoping import VisibleQuerysetMixin
from api.serializers.eligibility import (
    EligibilityQuerySerializer,
    EnterpriseEligibilitySerializer,
    GapSerializer,
    ResultDetailSerializer,
    ResultSerializer,
    RulesetSerializer,
    SimulateRequestSerializer,
    SimulateResponseSerializer,
)
from api.serializers.simulation import positional_errors
from api.views import ENTERPRISE_LOOKUP
from tracker.models import EligibilityResult, Enterprise, Ruleset
from tracker.models.designations import latest_grants
from tracker.models.evaluation import ResultStatus, gap_order
from tracker.selectors.explanations import explanation_for
from tracker.selectors.results import failing_criteria
from tracker.services.eligibility import enterprise_eligibility, evaluate_record, result_explanation


def json_safe(value):
    """The engine's explanation with non-finite numbers (an absent award's +inf rank) as null."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def enterprise_by_key(request, key: str, queryset=None) -> Enterprise:
    """An enterprise the requesting user may see, by id or 18-character USCC, or 404 (as the enterprise
    detail URL: another region's enterprise is not found either)."""
    queryset = Enterprise.objects.select_related("region") if queryset is None else queryset
    check_enterprise_key(key)
    try:
        return queryset.visible_to(request.user).by_key(key)
    except Enterprise.DoesNotExist:
        raise Http404 from None


class CanViewEnterprises(permissions.BasePermission):
    """Authenticated users holding `tracker.view_enterprise` (simulation reads criteria, stores nothing)."""

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and user.has_perm("tracker.view_enterprise"))


#
# What-if and live evaluation
#


class SimulateView(APIView):
    """Evaluate hypothetical facts, optionally against draft criteria; nothing is stored."""

    schema = TiduAutoSchema()
    permission_classes = [CanViewEnterprises]

    @extend_schema(
        operation_id="eligibility_simulate",
        request=SimulateRequestSerializer,
        responses={200: SimulateResponseSerializer},
        description="For every tier (or those listed): the verdict under the ruleset in force on `as_of` "
        "(the draft in `rulesets` when given), with every node's outcome and the gaps. The facts are validated "
        "exactly as the enterprises, metrics and designations resources validate them; a bad value gets 400 "
        "under a key naming its position (`metrics[1].revenue`), in the request's language (Accept-Language; "
        'Chinese by default). A bad draft gets 400 under `rulesets` naming the node (`node "x": …`). A held '
        "title is re-reviewed under the rules of its grant date; `applied` says which.",
    )
    def post(self, request):
        body = SimulateRequestSerializer(data=request.data)
        if not body.is_valid():
            raise serializers.ValidationError(positional_errors(body.errors))
        data = body.validated_data
        as_of = data["as_of"]
        region = data.get("region")
        record = {
            "attributes": data.get("enterprise") or {},
            "metrics": data.get("metrics") or [],
            "designations": held_designations(data.get("designations") or [], as_of),
        }
        with service_errors():
            results = evaluate_record(
                record=record,
                as_of=as_of,
                mode=data["mode"],
                tiers=[tier.code for tier in data["tiers"]] if data.get("tiers") else None,
                region_code=region.code if region else None,
                overrides=data["rulesets"] or None,
            )
        return Response(
            {
                "as_of": as_of,
                "mode": data["mode"],
                "region": region.code if region else None,
                "results": json_safe(results),
            }
        )


def held_designations(designations: list[dict], as_of: dt.date) -> dict[str, str]:
    """Tier code → grant date of the titles held on ``as_of``, by the read layer's definition of "held"
    (``latest_grants``: the latest grant when one tier is held twice)."""
    rows = ((d["tier"].code, d["status"], d.get("recognized_on"), d.get("valid_until")) for d in designations)
    held = latest_grants(rows, as_of=as_of)
    return {code: day.isoformat() for code, day in sorted(held.items())}


class EnterpriseEligibilityView(generics.GenericAPIView):
    schema = TiduAutoSchema()
    queryset = Enterprise.objects.select_related("region")
    serializer_class = EnterpriseEligibilitySerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        operation_id="enterprises_eligibility",
        parameters=[ENTERPRISE_LOOKUP, EligibilityQuerySerializer],
        responses={200: EnterpriseEligibilitySerializer},
        description="Evaluate a stored enterprise live from its stored facts (every tier but those designated per "
        "cluster, such as chain_leader: see their stored results). A held title is re-reviewed under the rules of "
        "its grant date. Nothing is stored. The criteria tree shows the enterprise's facts (values, inputs, gaps) "
        "only to users who may view annual metrics; for others `facts_redacted` is true and only outcomes, points "
        "and thresholds are given.",
    )
    def get(self, request, id_or_uscc):
        query = EligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        mode = query.validated_data["mode"]
        enterprise = enterprise_by_key(request, id_or_uscc, self.get_queryset())
        with service_errors():
            results = [
                explanation_for(request.user, result)
                for result in enterprise_eligibility(enterprise=enterprise, as_of=as_of, mode=mode)
            ]
        return Response(
            {
                "enterprise": {"id": enterprise.pk, "uscc": enterprise.uscc, "name": enterprise.name},
                "as_of": as_of,
                "mode": mode,
                "results": json_safe(results),
            }
        )


#
# Stored results and gaps
#

RESULT_FIELDS = (
    "id",
    "enterprise__id",
    "enterprise__uscc",
    "enterprise__name",
    "tier_id",
    "fiscal_year",
    "cluster__code",
    "status",
    "score",
    "failing_count",
    "shortfall",
    "near_miss",
    "ruleset_id",
    "evaluated_at",
)
RESULT_QUERYSET = (
    EligibilityResult.objects.select_related("enterprise", "cluster")
    .only(*RESULT_FIELDS)
    .annotate(ruleset_version=F("ruleset__version"))
)
RESULT_DETAIL_QUERYSET = EligibilityResult.objects.select_related(
    "enterprise__region", "cluster", "run", "ruleset__jurisdiction"
).annotate(ruleset_version=F("ruleset__version"))
GAP_QUERYSET = (
    EligibilityResult.objects.filter(status=ResultStatus.NOT_ELIGIBLE)
    .select_related("enterprise", "cluster")
    .only(*RESULT_FIELDS, "failed_nodes")
    .annotate(ruleset_version=F("ruleset__version"))
)
FISCAL_YEAR = OpenApiParameter(
    "fiscal_year",
    {"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX},
    description=_("评价年度；省略时为当前年度（最近一次全量评价的年度）。")
)


class EnterpriseResultsView(generics.GenericAPIView):
    schema = TiduAutoSchema()
    queryset = RESULT_QUERYSET
    serializer_class = ResultSerializer
    filter_backends = []
    pagination_class = None

    @extend_schema(
        operation_id="enterprises_results",
        parameters=[ENTERPRISE_LOOKUP, FISCAL_YEAR],
        responses={200: ResultSerializer(many=True)},
        description="The stored current results of one enterprise: every tier (and cluster for the tiers designated "
        "per cluster, such as chain_leader) of one fiscal year.",
    )
    def get(self, request, id_or_uscc):
        enterprise = enterprise_by_key(request, id_or_uscc, Enterprise.objects.only("id"))
        fiscal_year = None
        raw_year = request.query_params.get("fiscal_year")
        if raw_year:
            year = serializers.IntegerField(min_value=YEAR_MIN, max_value=YEAR_MAX)
            try:
                fiscal_year = year.run_validation(raw_year)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"fiscal_year": exc.detail}) from None
        results = self.get_queryset().filter(enterprise=enterprise)
        results = results.current() if fiscal_year is None else results.filter(fiscal_year=fiscal_year)
        rows = results.order_by("tier__ladder_order", "tier_id", "cluster__code")
        return Response(self.get_serializer(rows, many=True).data)


class ResultViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Stored eligibility results, one per enterprise × tier × fiscal year (× cluster for chain leaders)."""

    schema = TiduAutoSchema()
    queryset = RESULT_QUERYSET
    serializer_class = ResultSerializer
    filterset_class = ResultFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "shortfall", "score", "failing_count", "evaluated_at", "fiscal_year"]
    ordering = ["enterprise_id", "tier_id", "id"]
    read_layer_orderings = {"shortfall": gap_order}

    def get_queryset(self):
        if self.action == "retrieve":
            return RESULT_DETAIL_QUERYSET.visible_to(self.request.user)
        return super().get_queryset()

    def get_serializer_class(self):
        return ResultDetailSerializer if self.action == "retrieve" else ResultSerializer

    def retrieve(self, request, *args, **kwargs):
        result = self.get_object()
        with service_errors():
            result.explanation = json_safe(explanation_for(request.user, result_explanation(result=result)))
        return Response(self.get_serializer(result).data)


class GapViewSet(VisibleQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """Not-eligible results with their failing criteria, closest first (shortfall, then failing count)."""

    schema = TiduAutoSchema()
    queryset = GAP_QUERYSET
    serializer_class = GapSerializer
    filterset_class = GapFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "shortfall", "failing_count", "score", "evaluated_at"]
    ordering = gap_order()
    read_layer_orderings = {"shortfall": gap_order}

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else kwargs.get("instance")
        rows = [rows] if isinstance(rows, EligibilityResult) else list(rows or [])
        kwargs.setdefault("context", self.get_serializer_context())
        kwargs["context"]["failing"] = {pk: json_safe(items) for pk, items in failing_criteria(rows).items()}
        return GapSerializer(*args, **kwargs)


#
# Rulesets
#


class RulesetViewSet(viewsets.ReadOnlyModelViewSet):
    """Criteria as data, versioned by effective date (read-only through the API for now)."""

    schema = TiduAutoSchema()
    queryset = Ruleset.objects.select_related("jurisdiction")
    serializer_class = RulesetSerializer
    filterset_class = RulesetFilterSet
    search_fields = ["version", "reference"]
    ordering_fields = ["id", "tier", "effective_from", "version"]
