"""Declarative viewsets: queryset, serializer, filterset, ordering. Writes go through the services.

Every viewset reads through the read layer's ``visible_to`` (api/scoping.py): a list shows the
requesting user's region, and an object outside it is a 404.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import check_enterprise_key, service_errors
from api.filtersets import (
    AnnualMetricsFilterSet,
    ClusterFilterSet,
    DesignationFilterSet,
    EnterpriseFilterSet,
    RegionFilterSet,
    TierFilterSet,
)
from api.permissions import ActionPermissions
from api.schema import TiduAutoSchema
from api.scoping import VisibleQuerysetMixin
from api.serializers.designations import DesignationSerializer
from api.serializers.enterprises import EnterpriseArchivedSerializer, EnterpriseSerializer
from api.serializers.metrics import AnnualMetricsSerializer
from api.serializers.reference import ClusterSerializer, RegionSerializer, TierSerializer
from api.versioning import VersionedViewMixin
from tracker import uscc
from tracker.models import (
    AnnualMetrics,
    ChainSegment,
    Cluster,
    ClusterMembership,
    Designation,
    Enterprise,
    Region,
    Tier,
)
from tracker.models.metrics import revenue_order
from tracker.services.designations import designation_create, designation_delete, designation_update
from tracker.services.enterprise_archive import enterprise_delete, enterprise_restore
from tracker.services.enterprises import enterprise_create, enterprise_update
from tracker.services.metrics import metrics_create, metrics_delete, metrics_update


class TiduViewSet(VisibleQuerysetMixin, viewsets.ModelViewSet):
    schema = TiduAutoSchema()


class ServiceViewSet(VersionedViewMixin, TiduViewSet):
    """A ModelViewSet whose writes call the domain services; the serializer only checks shape.

    Subclasses name their services; each receives `user=` plus the validated fields as keywords, and
    for an update or delete `expected_version=` from If-Match (api/versioning.py): the answer carries
    the record's ETag, a stale If-Match is a 412.
    """

    create_service = None
    update_service = None
    delete_service = None
    instance_kwarg: str = ""

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = type(self).create_service(user=self.request.user, **serializer.validated_data)
        self.answered(serializer.instance)

    def perform_update(self, serializer):
        expected = self.expected_version()
        fields = self.update_fields(serializer.instance, dict(serializer.validated_data))
        with service_errors():
            serializer.instance = type(self).update_service(
                **{self.instance_kwarg: serializer.instance},
                user=self.request.user,
                expected_version=expected,
                **fields,
            )
        self.answered(serializer.instance)

    def perform_destroy(self, instance):
        expected = self.expected_version()
        with service_errors():
            type(self).delete_service(
                **{self.instance_kwarg: instance}, user=self.request.user, expected_version=expected
            )

    def update_fields(self, instance, fields: dict) -> dict:
        return fields


#
# Reference data
#


class RegionViewSet(TiduViewSet):
    queryset = Region.objects.select_related("parent")
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    search_fields = ["code", "name", "name_en"]
    ordering_fields = ["id", "code", "name"]


class ClusterViewSet(TiduViewSet):
    queryset = Cluster.objects.prefetch_related(
        Prefetch("core_regions", queryset=Region.objects.only("id", "code")),
        Prefetch("segments", queryset=ChainSegment.objects.order_by("position", "sort_order", "id")),
    )
    serializer_class = ClusterSerializer
    filterset_class = ClusterFilterSet
    search_fields = ["code", "name_zh", "name_en"]
    ordering_fields = ["id", "code", "name_zh", "group"]


class TierViewSet(TiduViewSet):
    queryset = Tier.objects.all()
    serializer_class = TierSerializer
    filterset_class = TierFilterSet
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    search_fields = ["code", "name_zh", "name_en"]
    ordering_fields = ["code", "track", "ladder_order"]


#
# Enterprises
#

ENTERPRISE_LOOKUP = OpenApiParameter(
    "id_or_uscc",
    {"type": "string", "pattern": r"^(\d{1,17}|[0-9A-Za-z]{18})$"},
    OpenApiParameter.PATH,
    description=_("企业 id（整数）或 18 位统一社会信用代码，如 /enterprises/42/ 或 /enterprises/91320500MA1XXXXXX0/。"),
)


@extend_schema_view(
    retrieve=extend_schema(parameters=[ENTERPRISE_LOOKUP]),
    update=extend_schema(parameters=[ENTERPRISE_LOOKUP]),
    partial_update=extend_schema(parameters=[ENTERPRISE_LOOKUP]),
)
class EnterpriseViewSet(ServiceViewSet):
    """Enterprises; a detail URL takes either the id or the 18-character USCC."""

    queryset = Enterprise.objects.select_related("region").prefetch_related(
        Prefetch("memberships", queryset=ClusterMembership.objects.select_related("cluster").order_by("id")),
        Prefetch("designations", queryset=Designation.objects.select_related("cluster")),
    )
    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilterSet
    search_fields = ["name", "uscc"]
    ordering_fields = ["id", "name", "uscc", "founded_on", "listed_on", "created_at", "updated_at"]
    lookup_url_kwarg = "id_or_uscc"
    lookup_value_regex = r"[^/]+"  # anything reaches get_object, which says why a malformed key names nothing
    create_service = enterprise_create
    update_service = enterprise_update
    instance_kwarg = "enterprise"
    permission_classes = [ActionPermissions]
    # Restoring undoes a delete (an archive): it needs what the delete needed.
    action_permissions = {"restore": ["tracker.view_enterprise", "tracker.delete_enterprise"]}
    if_match_actions = (*ServiceViewSet.if_match_actions, "restore")
    etag_actions = {**ServiceViewSet.etag_actions, "restore": (200,), "destroy": (200,)}  # 200: archived

    def get_object(self):
        check_enterprise_key(self.kwargs[self.lookup_url_kwarg])
        try:
            enterprise = self.filter_queryset(self.get_queryset()).by_key(self.kwargs[self.lookup_url_kwarg])
        except Enterprise.DoesNotExist:
            raise Http404 from None
        self.check_object_permissions(self.request, enterprise)
        return enterprise

    def update_fields(self, instance, fields):
        # PUT resends the code; an unchanged code must not be re-checked (its override may predate
        # the user's permissions).
        if (
            uscc.normalize(fields.get("uscc", "")) == instance.uscc
            and fields.get("uscc_check_override", instance.uscc_check_override) == instance.uscc_check_override
        ):
            fields.pop("uscc", None)
            fields.pop("uscc_check_override", None)
        return fields

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "list" and not self.request.query_params.get("archived"):  # absent or empty
            return queryset.active()  # a list shows the register; archived ones with ?archived=true|all
        return queryset

    @extend_schema(
        parameters=[ENTERPRISE_LOOKUP],
        responses={
            200: OpenApiResponse(EnterpriseArchivedSerializer, description=_("企业已有正式记录，已归档而非删除。")),
            204: OpenApiResponse(description=_("企业没有认定、指标或评价结果，已删除。")),
        },
    )
    def destroy(self, request, *args, **kwargs):
        """Delete an enterprise without official records; one with designations, metrics or results is
        archived instead (200, restorable by POST …/restore/). A hard delete is the admin's, for a
        province administrator (docs/accounts.md)."""
        enterprise = self.get_object()
        expected = self.expected_version()
        with service_errors():
            archived = enterprise_delete(enterprise=enterprise, user=request.user, expected_version=expected)
        if not archived:
            return Response(status=status.HTTP_204_NO_CONTENT)
        enterprise.refresh_from_db(fields=["archived_at", "version"])
        self.answered(enterprise)
        return Response(EnterpriseArchivedSerializer(enterprise).data)

    @extend_schema(
        request=None,
        parameters=[ENTERPRISE_LOOKUP],
        responses={200: EnterpriseSerializer},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, *args, **kwargs):
        """Put an archived enterprise back in the register; the next run evaluates it again."""
        enterprise = self.get_object()
        expected = self.expected_version()
        with service_errors():
            enterprise_restore(enterprise=enterprise, user=request.user, expected_version=expected)
        enterprise = self.get_queryset().get(pk=enterprise.pk)
        self.answered(enterprise)
        return Response(self.get_serializer(enterprise).data)


#
# Facts and designations
#


class AnnualMetricsViewSet(ServiceViewSet):
    queryset = AnnualMetrics.objects.select_related("enterprise")
    serializer_class = AnnualMetricsSerializer
    filterset_class = AnnualMetricsFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "enterprise", "fiscal_year", "revenue", "updated_at"]
    read_layer_orderings = {"revenue": revenue_order}
    create_service = metrics_create
    update_service = metrics_update
    delete_service = metrics_delete
    instance_kwarg = "metrics"


class DesignationViewSet(ServiceViewSet):
    queryset = Designation.objects.select_related("enterprise", "cluster")
    serializer_class = DesignationSerializer
    filterset_class = DesignationFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc", "document_no", "batch"]
    ordering_fields = ["id", "recognized_on", "valid_until", "status", "tier", "created_at"]
    create_service = designation_create
    update_service = designation_update
    delete_service = designation_delete
    instance_kwarg = "designation"

    def perform_create(self, serializer):
        serializer.validated_data.pop("change_reason", None)
        super().perform_create(serializer)

    def update_fields(self, instance, fields):
        fields["reason"] = fields.pop("change_reason", "")
        return fields
