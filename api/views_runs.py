"""Evaluation runs: list and inspect the recompute ledger, start a manual run (202)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from api.errors import service_errors
from api.filtersets_results import RunFilterSet
from api.schema import TiduAutoSchema
from api.serializers.runs import RunCreateSerializer, RunSerializer
from tracker.models import Enterprise, EvaluationRun
from tracker.models.scoping import region_scope
from tracker.services.runs import run_start


@extend_schema_view(
    create=extend_schema(
        request=RunCreateSerializer,
        responses={202: RunSerializer},
        description="Start a manual recompute. A full run (no `enterprises`) while another full manual run "
        "for the same day is open returns that open run (202 as well, same id). A user whose office is a "
        "city or county may recompute only enterprises of that region, listed in `enterprises`.",
    )
)
class RunViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Evaluation runs, newest first. Starting one needs `tracker.add_evaluationrun`."""

    schema = TiduAutoSchema()
    queryset = EvaluationRun.objects.select_related("requested_by")
    serializer_class = RunSerializer
    filterset_class = RunFilterSet
    search_fields = []
    ordering_fields = ["id", "created_at", "as_of", "finished_at"]

    def get_serializer_class(self):
        return RunCreateSerializer if self.action == "create" else RunSerializer

    def create(self, request, *args, **kwargs):
        body = RunCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        tiers = [tier.code for tier in data["tiers"]] if data.get("tiers") else None
        if "enterprises" in data:
            enterprise_ids = resolve_enterprises(request, data["enterprises"])
        elif not region_scope(request.user).unrestricted:
            raise serializers.ValidationError(
                {"enterprises": [_("全量重新计算仅限省级用户；请列出本地区需要重新计算的企业。")]}
            )
        else:
            enterprise_ids = None
        with service_errors():
            run = run_start(
                kind=EvaluationRun.Kind.MANUAL,
                as_of=data.get("as_of"),
                tiers=tiers,
                enterprise_ids=enterprise_ids,
                user=request.user,
            )
        run = self.get_queryset().get(pk=run.pk)
        return Response(RunSerializer(run, context=self.get_serializer_context()).data, status=status.HTTP_202_ACCEPTED)


def resolve_enterprises(request, keys: list[str]) -> list[int]:
    """Ids of the listed enterprises (ids or USCCs) the user may see, in one query; a 400 names the keys
    that match none (another region's enterprise is "not found" as well)."""
    ids, unknown = Enterprise.objects.visible_to(request.user).ids_for_keys(keys)
    if unknown:
        raise serializers.ValidationError(
            {"enterprises": [_("未找到企业：%(keys)s") % {"keys": ", ".join(unknown[:20])}]}
        )
    return ids
