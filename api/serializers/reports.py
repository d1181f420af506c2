"""Tier reports: the list's columns, the detail's sections, the body that builds one."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import CharField, DateField, StrictSerializer
from tracker.models import TierReport


class ReportScopeSerializer(serializers.Serializer):
    code = serializers.CharField(source="region.code", help_text=_("范围的行政区划代码（全省为 320000）。"))
    name = serializers.CharField(source="region.name", help_text=_("范围名称。"))
    level = serializers.CharField(source="region.level", help_text=_("级别：province、prefecture、county。"))


class TierReportSerializer(serializers.ModelSerializer):
    scope = ReportScopeSerializer(source="*", read_only=True)
    summary = serializers.JSONField(
        read_only=True,
        help_text=_("各层级合计：held（持有称号）、totals（各项计数）、deltas（较上次报告的变化）、changes（新增/失去）。"),
    )
    xlsx = serializers.SerializerMethodField(help_text=_("xlsx 下载地址。"))
    pdf = serializers.SerializerMethodField(help_text=_("PDF 下载地址。"))

    class Meta:
        model = TierReport
        fields = ["id", "report_date", "scope", "data_date", "run", "stale", "stale_reason", "nightly", "built_at",
                  "build_seconds", "summary", "xlsx", "pdf"]
        read_only_fields = fields

    def _link(self, obj, kind: str) -> str:
        request = self.context.get("request")
        path = f"/api/v1/reports/{obj.pk}/{kind}/"
        return request.build_absolute_uri(path) if request else path

    def get_xlsx(self, obj) -> str:
        return self._link(obj, "xlsx")

    def get_pdf(self, obj) -> str:
        return self._link(obj, "pdf")


@extend_schema_field(OpenApiTypes.OBJECT)
class SectionsField(serializers.JSONField):
    pass


class TierReportDetailSerializer(TierReportSerializer):
    sections = SectionsField(
        source="content",
        read_only=True,
        help_text=_(
            "报告内容（tracker/reports/sections.py 的 ReportFrame）：scope、report_date、data_date、stale、"
            "overview_regions 与 overview_clusters（层级 × 地区/集群，各项计数及较上次的变化）、changes（变化）、"
            "near_misses（接近达标及差距）、coverage（集群覆盖）、to_collect_cities 与 to_collect（待补数据）、"
            "designations（认定到期）、trend、truncated（各列表因上限省略的行数）。金额单位为万元。"
        ),
    )

    class Meta(TierReportSerializer.Meta):
        fields = [*TierReportSerializer.Meta.fields, "sections"]
        read_only_fields = fields


class TierReportCreateSerializer(StrictSerializer):
    date = DateField(required=False, help_text=_("报告日期；省略为今天。"))
    region = CharField(
        required=False, allow_blank=True, max_length=6,
        help_text=_("范围：行政区划代码（3205 或 320500 为苏州市，320583 为县级市）；省略为全省。须在您的管辖范围内。"),
    )
