"""Eligibility: what-if simulation, live evaluation of a stored enterprise, stored results, gaps, rulesets.

Evaluations go through tracker.services.eligibility (the recompute's engine path) and store nothing.
"""

import datetime as dt
import math

import numpy as np
from django.db.models import F
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from api.errors import service_errors
from api.filtersets_results import GapFilterSet, ResultFilterSet, RulesetFilterSet, enterprise_key_q
from api.schema import TiduAutoSchema
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
from tracker.models.designations import HOLDING_STATUSES
from tracker.models.evaluation import ResultStatus
from tracker.rules import unpack_bits
from tracker.rules.definition import GroupNode, TestNode
from tracker.rules.explain import criterion_actionable
from tracker.services.eligibility import enterprise_eligibility, evaluate_record, result_explanation
from tracker.services.rulesets import engine_ruleset


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


def enterprise_by_key(key: str, queryset=None) -> Enterprise:
    """An enterprise by id or 18-character USCC, or 404 (as the enterprise detail URL)."""
    queryset = Enterprise.objects.select_related("region") if queryset is None else queryset
    return get_object_or_404(queryset, enterprise_key_q(key))


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
    """Tier code → grant date of the titles held on ``as_of`` (a holding status and recognized_on ≤ as_of ≤
    valid_until, open if null); the latest grant when one tier is held twice."""
    held: dict[str, dt.date] = {}
    for item in designations:
        granted_on = item.get("recognized_on")
        if item["status"] not in HOLDING_STATUSES or granted_on is None or granted_on > as_of:
            continue
        if item.get("valid_until") is not None and as_of > item["valid_until"]:
            continue
        code = item["tier"].code
        held[code] = max(held.get(code, granted_on), granted_on)
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
        "its grant date. Nothing is stored.",
    )
    def get(self, request, id_or_uscc):
        query = EligibilityQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        as_of = query.validated_data.get("as_of") or timezone.localdate()
        mode = query.validated_data["mode"]
        enterprise = enterprise_by_key(id_or_uscc, self.get_queryset())
        with service_errors():
            results = enterprise_eligibility(enterprise=enterprise, as_of=as_of, mode=mode)
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
FISCAL_YEAR = OpenApiParameter("fiscal_year", int, description=_("评价年度；省略时为该企业已有结果的最新年度。"))


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
        enterprise = enterprise_by_key(id_or_uscc, Enterprise.objects.only("id"))
        results = self.get_queryset().filter(enterprise=enterprise)
        raw_year = request.query_params.get("fiscal_year")
        if raw_year:
            year = serializers.IntegerField(min_value=1900, max_value=2999)
            try:
                fiscal_year = year.run_validation(raw_year)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"fiscal_year": exc.detail}) from None
        else:
            fiscal_year = max(results.values_list("fiscal_year", flat=True).order_by("-fiscal_year")[:1], default=None)
        rows = results.filter(fiscal_year=fiscal_year).order_by("tier__ladder_order", "tier_id", "cluster__code")
        return Response(self.get_serializer(rows, many=True).data)


class ResultViewSet(viewsets.ReadOnlyModelViewSet):
    """Stored eligibility results, one per enterprise × tier × fiscal year (× cluster for chain leaders)."""

    schema = TiduAutoSchema()
    queryset = RESULT_QUERYSET
    serializer_class = ResultSerializer
    filterset_class = ResultFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "shortfall", "score", "failing_count", "evaluated_at", "fiscal_year"]
    ordering = ["enterprise_id", "tier_id", "id"]

    def get_queryset(self):
        if self.action == "retrieve":
            return EligibilityResult.objects.select_related(
                "enterprise__region", "cluster", "run", "ruleset__jurisdiction"
            ).annotate(ruleset_version=F("ruleset__version"))
        return super().get_queryset()

    def get_serializer_class(self):
        return ResultDetailSerializer if self.action == "retrieve" else ResultSerializer

    def retrieve(self, request, *args, **kwargs):
        result = self.get_object()
        with service_errors():
            result.explanation = json_safe(result_explanation(result=result))
        return Response(self.get_serializer(result).data)


class GapViewSet(viewsets.ReadOnlyModelViewSet):
    """Not-eligible results with their failing criteria, closest first (shortfall, then failing count)."""

    schema = TiduAutoSchema()
    queryset = EligibilityResult.objects.filter(status=ResultStatus.NOT_ELIGIBLE)
    serializer_class = GapSerializer
    filterset_class = GapFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "shortfall", "failing_count", "score", "evaluated_at"]
    ordering = ["shortfall", "failing_count", "id"]

    def get_queryset(self):
        return (
            EligibilityResult.objects.filter(status=ResultStatus.NOT_ELIGIBLE)
            .select_related("enterprise", "cluster")
            .only(*RESULT_FIELDS, "failed_nodes")
            .annotate(ruleset_version=F("ruleset__version"))
        )

    def get_serializer(self, *args, **kwargs):
        rows = args[0] if args else kwargs.get("instance")
        rows = [rows] if isinstance(rows, EligibilityResult) else list(rows or [])
        rulesets = Ruleset.objects.select_related("jurisdiction").in_bulk({row.ruleset_id for row in rows})
        kwargs.setdefault("context", self.get_serializer_context())
        kwargs["context"]["decode_failing"] = FailingDecoder(rulesets)
        return GapSerializer(*args, **kwargs)


class FailingDecoder:
    """Decode a result's failed-nodes bitmap into its failing criteria (rulesets loaded once per page)."""

    def __init__(self, rulesets: dict[int, Ruleset]):
        self.rulesets = rulesets
        self._trees = {}

    def __call__(self, result: EligibilityResult) -> list[dict]:
        ruleset = self.rulesets.get(result.ruleset_id)
        if ruleset is None:
            return []
        engine = engine_ruleset(ruleset)
        bits = np.frombuffer(bytes(result.failed_nodes or b""), dtype=np.uint8)
        count = len(engine.node_index)
        if bits.size * 8 < count:
            bits = np.concatenate([bits, np.zeros((count + 7) // 8 - bits.size, dtype=np.uint8)])
        failed_flags = unpack_bits(bits.reshape(1, -1), count)[0]
        failed = {node_id for node_id, flag in zip(engine.node_index, failed_flags, strict=True) if flag}
        return failing_criteria(engine.root, failed)


def failing_criteria(root, failed: set[str]) -> list[dict]:
    """The failed criteria that make the result fail: descend from the root through failed groups only
    (a failed branch under a passing `any` is not a reason); a failed non-group node is a criterion."""
    out = []

    def visit(node):
        if node.id not in failed:
            return
        if isinstance(node, GroupNode):
            for child in node.children:
                visit(child)
            return
        item = {
            "id": node.id,
            "kind": node.kind,
            "label": {"zh": node.label.zh, "en": node.label.en},
            "actionable": criterion_actionable(node),
        }
        if isinstance(node, TestNode):
            item.update(
                variable=node.condition.variable,
                op=node.condition.op,
                threshold=json_safe(node.condition.raw_threshold),
            )
        out.append(item)

    visit(root)
    return out


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
