"""Tier reports: list and read the night's reports of one's region, build one, download xlsx or PDF."""

import io

import django_filters as filters
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import service_errors
from api.filtersets import REGION_PREFIX_LABEL, BooleanFilter, within_region_filter
from api.schema import TiduAutoSchema
from api.scoping import VisibleQuerysetMixin
from api.serializers.reports import TierReportCreateSerializer, TierReportDetailSerializer, TierReportSerializer
from tracker.models import TierReport
from tracker.reports.frame import NoResults
from tracker.reports.sections import ReportFrame
from tracker.services.reports import report_build

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ReportFilterSet(filters.FilterSet):
    date = filters.DateFilter(field_name="report_date", label=_("报告日期"))
    date_from = filters.DateFilter(field_name="report_date", lookup_expr="gte", label=_("报告日期不早于"))
    date_to = filters.DateFilter(field_name="report_date", lookup_expr="lte", label=_("报告日期不晚于"))
    region = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    nightly = BooleanFilter(label=_("夜间例行生成"))

    class Meta:
        model = TierReport
        fields = ["date", "date_from", "date_to", "region", "nightly"]


def _download(kind: str, media_type: str):
    return extend_schema(
        responses={(200, media_type): OpenApiResponse(OpenApiTypes.BINARY, description=f"The report as {kind}.")},
        description=f"The report rendered as {kind} (the same frame as the detail's sections).",
    )


@extend_schema_view(
    create=extend_schema(
        request=TierReportCreateSerializer,
        responses={201: TierReportDetailSerializer},
        description="Build the report of a date and scope now, replacing that date and scope's report (201, the "
        "new report). The region must be within the caller's own; without any completed full run, 400.",
    ),
    xlsx=_download("xlsx", XLSX),
    pdf=_download("PDF", "application/pdf"),
)
class ReportViewSet(
    VisibleQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Tier reports, newest first: the province's and each city's, built every night after the full run
    (and any date and scope on demand). A city user sees its city's and counties' reports only."""

    schema = TiduAutoSchema()
    queryset = TierReport.objects.select_related("region").defer("content")
    serializer_class = TierReportSerializer
    filterset_class = ReportFilterSet
    search_fields = []
    ordering_fields = ["report_date", "built_at"]
    ordering = ["-report_date", "region__code"]

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action in ("retrieve", "xlsx", "pdf"):
            queryset = queryset.defer(None)
        return queryset

    def get_serializer_class(self):
        if self.action == "create":
            return TierReportCreateSerializer
        return TierReportDetailSerializer if self.action == "retrieve" else TierReportSerializer

    def create(self, request, *args, **kwargs):
        body = TierReportCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        with service_errors():
            try:
                report = report_build(report_date=data.get("date"), region_code=data.get("region") or None,
                                      user=request.user)
            except NoResults as exc:
                raise serializers.ValidationError({"date": [str(exc)]}) from None
        report = TierReport.objects.select_related("region").get(pk=report.pk)
        return Response(TierReportDetailSerializer(report, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["get"])
    def xlsx(self, request, pk=None):
        from tracker.reports.xlsx import render_xlsx

        report = self.get_object()
        buffer = io.BytesIO()
        render_xlsx(ReportFrame.from_json(report.content), buffer)
        return _attachment(buffer.getvalue(), XLSX, report, "xlsx")

    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        from tracker.reports.pdf import render_pdf

        report = self.get_object()
        return _attachment(render_pdf(ReportFrame.from_json(report.content)), "application/pdf", report, "pdf")


def _attachment(data: bytes, media_type: str, report: TierReport, extension: str) -> HttpResponse:
    response = HttpResponse(data, content_type=media_type)
    name = f"tier-report-{report.region.code}-{report.report_date}.{extension}"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
