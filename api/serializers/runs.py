"""Evaluation runs: the recompute ledger, and the body that starts a manual run."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.serializers.base import DateField, SlugRelatedField, StrictModelSerializer, StrictSerializer
from api.serializers.eligibility import enum_field
from tracker.models import EvaluationRun, Tier


class RunProgressSerializer(StrictSerializer):
    chunks_done = serializers.IntegerField(read_only=True, help_text=_("已完成分片数。"))
    chunks_total = serializers.IntegerField(read_only=True, help_text=_("分片总数。"))


class RunCountsSerializer(StrictSerializer):
    evaluated = serializers.IntegerField(read_only=True, help_text=_("已评价的结果数。"))
    inputs_changed = serializers.IntegerField(
        read_only=True,
        help_text=_("输入有变化、重新读取并评价的企业数（全量运行中其余企业的输入摘要未变，结果保持不变）。"),
    )
    changed = serializers.IntegerField(read_only=True, help_text=_("输入有变化而重写的结果数。"))
    errors = serializers.IntegerField(read_only=True, help_text=_("出错的分片数。"))


class RunSerializer(StrictModelSerializer):
    status = enum_field(
        EvaluationRun.Status.choices, read_only=True, help_text=_("状态：pending、running、succeeded、failed。")
    )
    progress = RunProgressSerializer(source="*", read_only=True)
    counts = RunCountsSerializer(source="*", read_only=True)
    requested_by = SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True, help_text=_("发起人用户名（例行任务为空）。")
    )

    class Meta:
        model = EvaluationRun
        fields = [
            "id",
            "kind",
            "status",
            "as_of",
            "fiscal_year",
            "is_full",
            "params",
            "progress",
            "counts",
            "timings",
            "error_message",
            "requested_by",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class RunCreateSerializer(StrictSerializer):
    """Start a manual recompute. Omit `enterprises` for a full run (one open full run per day)."""

    tiers = serializers.ListField(
        child=SlugRelatedField(slug_field="code", queryset=Tier.objects.all()),
        required=False,
        allow_empty=False,
        help_text=_("只评价这些层级（代码）；省略表示全部层级。"),
    )
    as_of = DateField(required=False, help_text=_("评价基准日，默认今天；评价年度为其上一年。"))
    enterprises = serializers.ListField(
        child=serializers.CharField(max_length=18),
        required=False,
        allow_empty=False,
        max_length=100_000,
        help_text=_("只评价这些企业（id 或统一社会信用代码）；省略表示全量运行。"),
    )
