"""Declarative viewsets: queryset, serializer, filterset, ordering. Writes go through the services.

Every viewset reads through the read layer's ``visible_to`` (api/scoping.py): a list shows the
requesting user's region, and an object outside it is a 404.
"""

from django.db.models import Prefetch
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets

from api.errors import check_enterprise_key, service_errors
from api.filtersets import (
    AnnualMetricsFilterSet,
    ClusterFilterSet,
    DesignationFilterSet,
    EnterpriseFilterSet,
    RegionFilterSet,
    TierFilterSet,
)
from api.schema import TiduAutoSchema
from api.scoping import VisibleQuerysetMixin
from api.serializers.designations import DesignationSerializer
from api.serializers.enterprises import EnterpriseSerializer
from api.serializers.metrics import AnnualMetricsSerializer
from api.serializers.reference import ClusterSerializer, RegionSerializer, TierSerializer
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
from tracker.services.designations import designation_create, designation_delete, designation_update
from tracker.services.enterprises import enterprise_create, enterprise_update
from tracker.services.metrics import metrics_create, metrics_delete, metrics_update


class TiduViewSet(VisibleQuerysetMixin, viewsets.ModelViewSet):
    schema = TiduAutoSchema()


class ServiceViewSet(TiduViewSet):
    """A ModelViewSet whose writes call the domain services; the serializer only checks shape.

    Subclasses name their services; each receives `user=` plus the validated fields as keywords.
    """

    create_service = None
    update_service = None
    delete_service = None
    instance_kwarg: str = ""

    def perform_create(self, serializer):
        with service_errors():
            serializer.instance = type(self).create_service(user=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        fields = self.update_fields(serializer.instance, dict(serializer.validated_data))
        with service_errors():
            serializer.instance = type(self).update_service(
                **{self.instance_kwarg: serializer.instance}, user=self.request.user, **fields
            )

    def perform_destroy(self, instance):
        with service_errors():
            type(self).delete_service(**{self.instance_kwarg: instance}, user=self.request.user)

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
    destroy=extend_schema(parameters=[ENTERPRISE_LOOKUP]),
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

    def perform_destroy(self, instance):
        # No enterprise_delete service yet: record the user in history, then delete.
        instance._history_user = self.request.user
        instance.delete()


#
# Facts and designations
#


class AnnualMetricsViewSet(ServiceViewSet):
    queryset = AnnualMetrics.objects.select_related("enterprise")
    serializer_class = AnnualMetricsSerializer
    filterset_class = AnnualMetricsFilterSet
    search_fields = ["enterprise__name", "enterprise__uscc"]
    ordering_fields = ["id", "enterprise", "fiscal_year", "revenue", "updated_at"]
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
