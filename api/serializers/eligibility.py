"""Eligibility: live and what-if evaluations (the engine's explanations), stored results, gaps, rulesets."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from tracker.models import EligibilityResult, Region, Ruleset, Tier
from tracker.models.designations import DesignationStatus
from tracker.models.evaluation import ResultStatus

MODES = [("auto", _("自动：持有该层级认定时按复核，否则按新申请")), ("new", _("新申请")), ("review", _("复核"))]


def enum_field(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose enum stays inline in the schema: `status` and `mode` name several choice sets,
    which would otherwise collide as shared enum components (and rename the existing StatusEnum)."""
    schema = {"type": "string", "allOf": [{"enum": [value for value, _label in choices]}]}
    if kwargs.get("allow_null"):
        schema["nullable"] = True
    field_class = extend_schema_field(schema)(type("EnumChoiceField", (serializers.ChoiceField,), {}))
    return field_class(choices=choices, **kwargs)


#
# Explanations (the engine's per-tier dicts)
#

LABEL_SCHEMA = {
    "type": "object",
    "properties": {"zh": {"type": "string"}, "en": {"type": "string"}},
    "required": ["zh", "en"],
}
NODE_SCHEMA = {
    "type": "object",
    "description": "One node of the criteria tree in pre-order: id, kind (all any not test tier score), label, "
    "reference, depth, parent, outcome (passed failed unknown), failing_count, shortfall, children; tests "
    "add variable, unit, value, op, threshold, inputs (the facts a derived value was computed from) and gap; "
    "score nodes add points per indicator and dimension.",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string", "enum": ["all", "any", "not", "test", "tier", "score"]},
        "label": LABEL_SCHEMA,
        "reference": {"type": "string"},
        "depth": {"type": "integer"},
        "parent": {"type": "string", "nullable": True},
        "outcome": {"type": "string", "enum": ["passed", "failed", "unknown"]},
        "failing_count": {"type": "integer"},
        "shortfall": {"type": "number"},
    },
    "required": ["id", "kind", "label", "outcome"],
    "additionalProperties": True,
}
GAPS_SCHEMA = {
    "type": "object",
    "description": "What separates the enterprise from the tier: `failing` (failing criteria on the closest "
    "path, with value, threshold and absolute/relative gap), `facts_to_collect` (missing facts: field, "
    "fiscal_year, needed_by node ids) and `scores` (points short and the cheapest band moves per score node).",
    "properties": {
        "failing": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
        "facts_to_collect": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "fiscal_year": {"type": "integer", "nullable": True},
                    "needed_by": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "scores": {"type": "array", "items": {"type": "object", "additionalProperties": True}},
    },
    "required": ["failing", "facts_to_collect", "scores"],
}


@extend_schema_field(NODE_SCHEMA)
class NodeField(serializers.DictField):
    pass


@extend_schema_field(GAPS_SCHEMA)
class GapsField(serializers.DictField):
    pass


class RulesetRefSerializer(serializers.Serializer):
    version = serializers.CharField(help_text=_("认定标准版本；草稿覆盖时为 draft。"))
    reference = serializers.CharField(help_text=_("政策依据（文号与条款）。"))


class TierResultSerializer(serializers.Serializer):
    """One tier's verdict under the ruleset in force (or the draft override), with reasons and gaps."""

    tier = serializers.CharField(help_text=_("梯度层级代码。"))
    ruleset = RulesetRefSerializer()
    as_of = serializers.DateField()
    fiscal_year = serializers.IntegerField(help_text=_("评价年度（基准日上一年）。"))
    status = enum_field(
        ResultStatus.choices, help_text=_("结论：eligible 符合、not_eligible 不符合、insufficient_data 数据不足。")
    )
    score = serializers.FloatField(allow_null=True, help_text=_("评分类标准的得分（下界）；无评分时为空。"))
    failing_count = serializers.IntegerField(help_text=_("最接近路径上未达标的条件数。"))
    shortfall = serializers.FloatField(help_text=_("归一化差距（0 表示无差距）。"))
    near_miss = serializers.BooleanField(help_text=_("接近达标：至多一项未达标或差距在容差内。"))
    nodes = serializers.ListField(child=NodeField(), help_text=_("认定条件树的每个节点（先序）。"))
    gaps = GapsField()
    facts_redacted = serializers.BooleanField(
        default=False,
        help_text=_("为 true 时，读者无权查看年度指标：条件树与差距中不含企业的指标值、计算依据和差距数值。"),
    )


class DesignationInputSerializer(serializers.Serializer):
    tier = serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), help_text=_("层级代码。"))
    status = serializers.ChoiceField(choices=DesignationStatus.choices)
    recognized_on = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, help_text=_("留空表示不设截止。"))


FACTS_SCHEMA = {
    "type": "object",
    "description": "One fiscal year of facts, keyed like the annual metrics resource (revenue, rd_expense, "
    "employees, …; money in CNY yuan, ratios 0–1). Missing keys are unknown, never zero.",
    "properties": {"fiscal_year": {"type": "integer"}},
    "required": ["fiscal_year"],
    "additionalProperties": {"oneOf": [{"type": "number"}, {"type": "string"}, {"type": "boolean"}]},
    "example": {"fiscal_year": 2025, "revenue": 80000000, "rd_expense": 5000000, "employees": 120},
}
ATTRIBUTES_SCHEMA = {
    "type": "object",
    "description": "Enterprise attributes as in the enterprise resource (founded_on, listed, listed_on, "
    "sector, niche_since, vc_backed, group_has_little_giant; chain_leader also reads cluster_group and "
    "revenue_rank_in_cluster). Missing keys are unknown.",
    "additionalProperties": True,
    "example": {"founded_on": "2015-06-01", "sector": "industry", "listed": False, "niche_since": 2018},
}
DEFINITIONS_SCHEMA = {
    "type": "object",
    "description": "Tier code → draft definition tree (docs/rules-format.md), evaluated instead of the "
    "ruleset in force.",
    "additionalProperties": {"type": "object", "additionalProperties": True},
}


@extend_schema_field(FACTS_SCHEMA)
class FactsField(serializers.DictField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if "fiscal_year" not in value:
            raise serializers.ValidationError(_("每个年度须包含 fiscal_year。"))
        return value


@extend_schema_field(ATTRIBUTES_SCHEMA)
class AttributesField(serializers.DictField):
    pass


@extend_schema_field(DEFINITIONS_SCHEMA)
class DefinitionsField(serializers.DictField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        codes = set(Tier.objects.filter(code__in=value).values_list("code", flat=True))
        unknown = sorted(set(value) - codes)
        if unknown:
            raise serializers.ValidationError(_("未知的层级代码：%(codes)s") % {"codes": ", ".join(unknown)})
        return value


class SimulateRequestSerializer(serializers.Serializer):
    """Hypothetical facts (and optionally draft criteria) to evaluate; nothing is stored."""

    as_of = serializers.DateField(help_text=_("评价基准日：决定适用的认定标准版本，评价年度为其上一年。"))
    mode = enum_field(MODES, default="auto", help_text=_("适用情形：auto、new、review。"))
    tiers = serializers.ListField(
        child=serializers.SlugRelatedField(slug_field="code", queryset=Tier.objects.all()),
        required=False,
        allow_empty=False,
        help_text=_("只评价这些层级；省略表示全部有生效标准的层级。"),
    )
    region = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("所在地区的行政区划代码，用于选择地方标准；省略表示只用全国标准。"),
    )
    enterprise = AttributesField(required=False, default=dict, help_text=_("企业属性。"))
    metrics = serializers.ListField(
        child=FactsField(), required=False, default=list, max_length=20, help_text=_("各年度指标，每年一项。")
    )
    designations = DesignationInputSerializer(
        many=True,
        required=False,
        default=list,
        help_text=_("已有认定：状态为有效、待复核或复核通过且基准日在认定日期与有效期之间的视为持有。"),
    )
    rulesets = DefinitionsField(required=False, default=dict, help_text=_("按层级代码给出的草稿认定条件。"))


class SimulateResponseSerializer(serializers.Serializer):
    as_of = serializers.DateField()
    mode = enum_field(MODES)
    region = serializers.CharField(allow_null=True)
    results = TierResultSerializer(many=True)


class EnterpriseBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    uscc = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class EligibilityQuerySerializer(serializers.Serializer):
    as_of = serializers.DateField(required=False, help_text=_("评价基准日，默认今天。"))
    mode = enum_field(MODES, default="auto", help_text=_("适用情形：auto、new、review。"))


class EnterpriseEligibilitySerializer(serializers.Serializer):
    enterprise = EnterpriseBriefSerializer()
    as_of = serializers.DateField()
    mode = enum_field(MODES)
    results = TierResultSerializer(many=True, help_text=_("各层级的实时评价（链主企业按集群评价，见 results）。"))


#
# Stored results and gaps
#


class ResultSerializer(serializers.ModelSerializer):
    enterprise = EnterpriseBriefSerializer(read_only=True)
    tier = serializers.CharField(source="tier_id", read_only=True, help_text=_("梯度层级代码。"))
    cluster = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("产业集群代码（仅链主企业）。")
    )
    ruleset_version = serializers.CharField(read_only=True, help_text=_("评价所用的认定标准版本。"))
    status = enum_field(
        ResultStatus.choices, read_only=True, help_text=_("结论：eligible、not_eligible、insufficient_data。")
    )

    class Meta:
        model = EligibilityResult
        fields = [
            "id",
            "enterprise",
            "tier",
            "fiscal_year",
            "cluster",
            "status",
            "score",
            "failing_count",
            "shortfall",
            "near_miss",
            "ruleset_version",
            "evaluated_at",
        ]
        read_only_fields = fields


class ResultDetailSerializer(ResultSerializer):
    explanation = TierResultSerializer(
        read_only=True, allow_null=True, help_text=_("由存储的事实与所记录的标准版本重建的完整解释。")
    )

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "explanation"]
        read_only_fields = fields


class FailingCriterionSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("节点 id。"))
    kind = serializers.CharField(help_text=_("节点类型：test、tier、score、not。"))
    label = serializers.DictField(child=serializers.CharField(), help_text=_("名称 {zh, en}。"))
    variable = serializers.CharField(required=False, help_text=_("测试节点的变量。"))
    op = serializers.CharField(required=False, help_text=_("测试节点的运算符。"))
    threshold = serializers.JSONField(required=False, help_text=_("测试节点的阈值。"))


class GapSerializer(ResultSerializer):
    failing = serializers.SerializerMethodField(help_text=_("未达标的条件（由存储的未达标节点解码）。"))

    class Meta(ResultSerializer.Meta):
        fields = [*ResultSerializer.Meta.fields, "failing"]
        read_only_fields = fields

    @extend_schema_field(FailingCriterionSerializer(many=True))
    def get_failing(self, result) -> list[dict]:
        return self.context["failing"].get(result.pk, [])


#
# Rulesets
#


class RulesetSerializer(serializers.ModelSerializer):
    tier = serializers.CharField(source="tier_id", read_only=True, help_text=_("梯度层级代码。"))
    jurisdiction = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("适用地区的行政区划代码；空为全国。")
    )
    definition = serializers.JSONField(read_only=True, help_text=_("认定条件树（docs/rules-format.md）。"))
    status = enum_field(Ruleset.Status.choices, read_only=True, help_text=_("状态：draft、active、retired。"))
    mode = enum_field(Ruleset.Mode.choices, read_only=True, help_text=_("适用情形：new、review、any。"))

    class Meta:
        model = Ruleset
        fields = [
            "id",
            "tier",
            "version",
            "effective_from",
            "effective_to",
            "mode",
            "jurisdiction",
            "status",
            "reference",
            "definition",
            "created_at",
        ]
        read_only_fields = fields
