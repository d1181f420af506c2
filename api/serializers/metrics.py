"""Annual metrics. Money is a decimal string in CNY yuan (USD for *_usd); ratios are fractions 0–1."""

from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.scoping import VisibleRelationsMixin
from api.serializers.base import PrimaryKeyRelatedField, StrictModelSerializer
from tracker.models import AnnualMetrics

MONEY_CNY = _("单位：人民币元，十进制字符串。")
MONEY_USD = _("单位：美元，十进制字符串。")
RATIO = _("比例，0–1 之间的小数（0.12 表示 12%），十进制字符串。")


def _unit_help_texts(model: type[models.Model]) -> dict[str, dict]:
    """help_text for each decimal field: the model's label and help text followed by the unit."""
    kwargs = {}
    for field in model._meta.concrete_fields:
        if not isinstance(field, models.DecimalField) or field.name in ("platform_score", "distinctiveness_points"):
            continue
        is_money = field.decimal_places == 2
        unit = RATIO if not is_money else MONEY_USD if field.name.endswith("_usd") else MONEY_CNY
        parts = [field.verbose_name, field.help_text, unit] if field.help_text else [field.verbose_name, unit]
        kwargs[field.name] = {"help_text": format_lazy(" ".join("{}" for _ in parts), *parts)}
    return kwargs


class AnnualMetricsSerializer(VisibleRelationsMixin, StrictModelSerializer):
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    distinctiveness_attested_by = PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text=_("核实特色化得分的用户 id（写入得分的人，由系统记录）。")
    )

    class Meta:
        model = AnnualMetrics
        fields = [
            "id",
            "enterprise",
            "enterprise_uscc",
            "fiscal_year",
            "revenue",
            "main_business_revenue",
            "rd_expense",
            "net_profit",
            "total_assets",
            "total_liabilities",
            "equity_financing",
            "employees",
            "rd_staff",
            "ip_class1",
            "ip_class1_self_developed",
            "ip_class1_high_value",
            "ip_class2",
            "niche_market_share",
            "niche_market_rank_cn",
            "global_market_rank",
            "valuation_usd",
            "cumulative_financing_usd",
            "digital_level",
            "rd_institution_level",
            "platform_score",
            "distinctiveness_points",
            "distinctiveness_attested_by",
            "distinctiveness_attested_at",
            "local_suppliers",
            "local_procurement_ratio",
            "high_tech_certified",
            "qms_certified",
            "quality_award",
            "own_brand",
            "standards_drafting",
            "sei_field",
            "key_chain_link",
            "six_foundations",
            "compliance_ok",
            "market_position_leading",
            "st_award_level",
            "st_award_rank",
            "chuangke_rank",
            "source",
            "version",
            "updated_at",
        ]
        read_only_fields = ["distinctiveness_attested_by", "distinctiveness_attested_at"]
        # The model's constraint check says which enterprise and year already exist (DRF's does not).
        validators = []
        extra_kwargs = _unit_help_texts(AnnualMetrics)
