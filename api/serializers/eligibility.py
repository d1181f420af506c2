"""Eligibility: live and what-if evaluations (the engine's explanations), stored results, gaps, rulesets."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import DateField, SlugRelatedField, StrictModelSerializer, StrictSerializer
from api.serializers.simulation import (
    SimulatedDesignationSerializer,
    SimulatedEnterpriseSerializer,
    SimulatedMetricsSerializer,
)
from tracker.models import EligibilityResult, Region, Ruleset, Tier
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
    "add variable, unit, value, op, threshold, inputs (the facts a derived value was computed from) and gap "
    "({absolute: on the variable's own scale, rounded to its precision — a fen for money, 0.01 percentage "
    "points for ratios —, relative: normalised shortfall}); score nodes add points per indicator and dimension.",
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
FAILING_SCHEMA = {
    "type": "object",
    "description": "A failing criterion on the closest path. `actionable`: whether the enterprise can change it "
    "(an age, a window, a listing, an exclusion cannot; they come last and are never the cheapest move). "
    "`note` {zh, en}: the next step when it is not a number to close (a title to obtain first, when a time-bound "
    "criterion will be met, that a window has closed). `timing` (time-bound criteria): {kind: met_later | closed, "
    "date: the evaluation date from which it is met / no longer met, years: how far that is}. Tests add "
    "variable, value, op, threshold, inputs and gap; tier nodes add tier, require, tier_status and designated.",
    "properties": {
        "id": {"type": "string"},
        "kind": {"type": "string"},
        "label": LABEL_SCHEMA,
        "shortfall": {"type": "number"},
        "actionable": {"type": "boolean"},
        "note": {**LABEL_SCHEMA, "nullable": True},
        "timing": {
            "type": "object",
            "nullable": True,
            "properties": {
                "kind": {"type": "string", "enum": ["met_later", "closed"]},
                "date": {"type": "string", "format": "date"},
                "years": {"type": "number"},
            },
        },
    },
    "required": ["id", "kind", "label", "shortfall", "actionable"],
    "additionalProperties": True,
}
GAPS_SCHEMA = {
    "type": "object",
    "description": "What separates the enterprise from the tier: `failing` (failing criteria on the closest "
    "path, those the enterprise can act on first), `facts_to_collect` (missing facts the verdict still depends "
    "on: field, fiscal_year, needed_by node ids) and `scores` (points short, the range the score could take and "
    "the cheapest band moves per score node; only criteria an enterprise can change are moves).",
    "properties": {
        "failing": {"type": "array", "items": FAILING_SCHEMA},
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


class RulesetRefSerializer(StrictSerializer):
    version = serializers.CharField(help_text=_("认定标准版本；草稿覆盖时为 draft。"))
    reference = serializers.CharField(help_text=_("政策依据（文号与条款）。"))
    mode = serializers.CharField(help_text=_("标准的适用情形：new、review、any。"))
    granted_from = DateField(allow_null=True, help_text=_("复核标准适用的认定日期起（空为不限）。"))
    granted_to = DateField(allow_null=True, help_text=_("复核标准适用的认定日期止（空为不限）。"))


class AppliedStandardSerializer(StrictSerializer):
    mode = enum_field(MODES[1:], help_text=_("本次按新申请（new）还是复核（review）评价。"))
    granted_on = DateField(
        allow_null=True, help_text=_("复核时：所复核称号的认定日期，决定按哪一版标准复核；未知或新申请时为空。")
    )


class ScoreRangeSerializer(StrictSerializer):
    low = serializers.FloatField()
    high = serializers.FloatField()


class TierResultSerializer(StrictSerializer):
    """One tier's verdict under the ruleset in force (or the draft override), with reasons and gaps."""

    tier = serializers.CharField(help_text=_("梯度层级代码。"))
    ruleset = RulesetRefSerializer()
    applied = AppliedStandardSerializer(help_text=_("实际适用的标准：评价情形与所复核称号的认定日期。"))
    as_of = DateField()
    fiscal_year = serializers.IntegerField(help_text=_("评价年度（基准日上一年）。"))
    status = enum_field(
        ResultStatus.choices, help_text=_("结论：eligible 符合、not_eligible 不符合、insufficient_data 数据不足。")
    )
    score = serializers.FloatField(
        allow_null=True,
        help_text=_("评分类标准的得分：所有指标数据齐全时给出；有指标缺数据时为空（可能区间见 score_range）。"),
    )
    score_range = ScoreRangeSerializer(
        allow_null=True, help_text=_("按已知数据，得分可能的区间（缺数据的指标按其最低与最高分计）；无评分时为空。")
    )
    passed_directly = serializers.BooleanField(help_text=_("符合认定但并非凭评价得分，而是满足了直通条件。"))
    failing_count = serializers.IntegerField(help_text=_("最接近路径上未达标的条件数。"))
    fixed_count = serializers.IntegerField(help_text=_("其中企业无法通过经营改变的条件数（如成立年限、上市）。"))
    shortfall = serializers.FloatField(help_text=_("最接近路径上各未达标条件的最大归一化差距（0 表示无差距）。"))
    near_miss = serializers.BooleanField(
        help_text=_("接近达标：未达标条件不超过设定项数，均可通过经营改变，且每项差距都在容差之内。")
    )
    nodes = serializers.ListField(child=NodeField(), help_text=_("认定条件树的每个节点（先序）。"))
    gaps = GapsField()
    facts_redacted = serializers.BooleanField(
        default=False,
        help_text=_("为 true 时，读者无权查看年度指标：条件树与差距中不含企业的指标值、计算依据和差距数值。"),
    )


DEFINITIONS_SCHEMA = {
    "type": "object",
    "description": "Tier code → draft definition tree (docs/rules-format.md), evaluated instead of the "
    "ruleset in force.",
    "additionalProperties": {"type": "object", "additionalProperties": True},
}


@extend_schema_field(DEFINITIONS_SCHEMA)
class DefinitionsField(serializers.DictField):
    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        codes = set(Tier.objects.filter(code__in=value).values_list("code", flat=True))
        unknown = sorted(set(value) - codes)
        if unknown:
            raise serializers.ValidationError(_("未知的层级代码：%(codes)s") % {"codes": ", ".join(unknown)})
        return value


class SimulateRequestSerializer(StrictSerializer):
    """Hypothetical facts (and optionally draft criteria) to evaluate; nothing is stored."""

    as_of = DateField(help_text=_("评价基准日：决定适用的认定标准版本，评价年度为其上一年。"))
    mode = enum_field(MODES, default="auto", help_text=_("适用情形：auto、new、review。"))
    tiers = serializers.ListField(
        child=SlugRelatedField(slug_field="code", queryset=Tier.objects.all()),
        required=False,
        allow_empty=False,
        help_text=_("只评价这些层级；省略表示全部有生效标准的层级。"),
    )
    region = SlugRelatedField(
        slug_field="code",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("所在地区的行政区划代码，用于选择地方标准；省略表示只用全国标准。"),
    )
    enterprise = SimulatedEnterpriseSerializer(
        required=False, help_text=_("企业属性，与企业资源的字段和校验相同；缺少的属性视为未知。")
    )
    metrics = SimulatedMetricsSerializer(
        many=True,
        required=False,
        max_length=20,
        help_text=_("各年度指标，每年一项，与年度指标资源的字段和校验相同；缺少的指标视为未知，不按 0 计。"),
    )
    designations = SimulatedDesignationSerializer(
        many=True,
        required=False,
        help_text=_(
            "已有认定，与认定记录资源的校验相同：状态为有效、待复核或复核通过且基准日在认定日期与有效期之间的视为"
            "持有；复核按所持称号认定日期对应的标准进行。"
        ),
    )
    rulesets = DefinitionsField(required=False, default=dict, help_text=_("按层级代码给出的草稿认定条件。"))

    def validate_metrics(self, rows: list[dict]) -> list[dict]:
        years = [row["fiscal_year"] for row in rows]
        errors = [
            {"fiscal_year": [_("年度 %(year)s 重复：每个年度只能有一项。") % {"year": year}]}
            if years.count(year) > 1
            else {}
            for year in years
        ]
        if any(errors):
            raise serializers.ValidationError(errors)
        return rows


class SimulateResponseSerializer(StrictSerializer):
    as_of = DateField()
    mode = enum_field(MODES)
    region = serializers.CharField(allow_null=True)
    results = TierResultSerializer(many=True)


class EnterpriseBriefSerializer(StrictSerializer):
    id = serializers.IntegerField(read_only=True)
    uscc = serializers.CharField(read_only=True)
    name = serializers.CharField(read_only=True)


class EligibilityQuerySerializer(StrictSerializer):
    as_of = DateField(required=False, help_text=_("评价基准日，默认今天。"))
    mode = enum_field(MODES, default="auto", help_text=_("适用情形：auto、new、review。"))


class EnterpriseEligibilitySerializer(StrictSerializer):
    enterprise = EnterpriseBriefSerializer()
    as_of = DateField()
    mode = enum_field(MODES)
    results = TierResultSerializer(many=True, help_text=_("各层级的实时评价（链主企业按集群评价，见 results）。"))


#
# Stored results and gaps
#


class ResultSerializer(StrictModelSerializer):
    enterprise = EnterpriseBriefSerializer(read_only=True)
    tier = serializers.CharField(source="tier_id", read_only=True, help_text=_("梯度层级代码。"))
    cluster = SlugRelatedField(
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


class FailingCriterionSerializer(StrictSerializer):
    id = serializers.CharField(help_text=_("节点 id。"))
    kind = serializers.CharField(help_text=_("节点类型：test、tier、score、not。"))
    label = serializers.DictField(child=serializers.CharField(), help_text=_("名称 {zh, en}。"))
    actionable = serializers.BooleanField(help_text=_("企业能否通过经营改变该条件（成立年限、上市、排除情形等不能）。"))
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


class RulesetSerializer(StrictModelSerializer):
    tier = serializers.CharField(source="tier_id", read_only=True, help_text=_("梯度层级代码。"))
    jurisdiction = SlugRelatedField(
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
            "granted_from",
            "granted_to",
            "jurisdiction",
            "status",
            "reference",
            "definition",
            "created_at",
        ]
        read_only_fields = fields
