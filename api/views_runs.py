"""Evaluation runs: list and inspect the recompute ledger, start a manual run (202)."""

from django.db.models import Q
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from api.errors import service_errors
from api.filtersets_results import RunFilterSet
from api.schema import TiduAutoSchema
from api.serializers.runs import RunCreateSerializer, RunSerializer
from tracker import uscc
from tracker.models import Enterprise, EvaluationRun
from tracker.services.runs import run_start


@extend_schema_view(
    create=extend_schema(
        request=RunCreateSerializer,
        responses={202: RunSerializer},
        description="Start a manual recompute. A full run (no `enterprises`) while another full manual run "
        "for the same day is open returns that open run (202 as well, same id).",
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
        enterprise_ids = resolve_enterprises(data["enterprises"]) if "enterprises" in data else None
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


def resolve_enterprises(keys: list[str]) -> list[int]:
    """Enterprise ids for a list of ids or USCCs (one query); 400 naming the unknown ones."""
    keys = [key.strip() for key in keys]
    ids = {int(key) for key in keys if key.isdigit() and len(key) < 18}
    codes = {uscc.normalize(key) for key in keys if len(key) == 18}
    found = dict(Enterprise.objects.filter(Q(pk__in=ids) | Q(uscc__in=codes)).values_list("pk", "uscc"))
    known_ids, known_codes = set(found), set(found.values())
    unknown = [
        key
        for key in keys
        if not ((len(key) == 18 and uscc.normalize(key) in known_codes) or (key.isdigit() and int(key) in known_ids))
    ]
    if unknown:
        raise serializers.ValidationError(
            {"enterprises": [_("未找到企业：%(keys)s") % {"keys": ", ".join(unknown[:20])}]}
        )
    return sorted(found)
