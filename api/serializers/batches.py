"""Designation batches (认定批次) and the requests of their steps; the services enforce the rules."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.scoping import VisibleRelationsMixin
from api.serializers.base import (
    CharField,
    DateField,
    RegexField,
    SlugRelatedField,
    StrictModelSerializer,
    StrictSerializer,
)
from tracker.models import BatchReview, Cluster, Designation, DesignationBatch, Objection, Tier


class DesignationBatchSerializer(StrictModelSerializer):
    tier = SlugRelatedField(slug_field="code", queryset=Tier.objects.all(), help_text=_("梯度层级代码。"))
    candidate_count = serializers.SerializerMethodField(
        help_text=_("本批次的候选（新认定批次）；市、县用户只计本地区的。")
    )
    review_count = serializers.SerializerMethodField(
        help_text=_("本批次待复核的认定（复核批次）；市、县用户只计本地区的。")
    )

    class Meta:
        model = DesignationBatch
        fields = [
            "id",
            "kind",
            "tier",
            "year",
            "name",
            "document_no",
            "publicity_start",
            "publicity_end",
            "objection_contact",
            "status",
            "published_on",
            "candidate_count",
            "review_count",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["status", "published_on", "created_at", "updated_at"]
        extra_kwargs = {
            "version": {"help_text": _("版本号，每次修改加一；与响应头 ETag 相同，写入时可放在 If-Match 中。")},
        }

    def get_candidate_count(self, batch) -> int:
        return getattr(batch, "candidate_count", 0)

    def get_review_count(self, batch) -> int:
        return getattr(batch, "review_count", 0)

    def validate(self, attrs):
        if self.instance is not None:
            for locked in ("kind", "tier"):
                if locked in attrs and attrs[locked] != getattr(self.instance, locked):
                    raise serializers.ValidationError({locked: _("批次创建后不能修改类型和层级。")})
        return attrs


class CandidateSerializer(StrictSerializer):
    designation = serializers.IntegerField(source="designation.pk")
    enterprise = serializers.IntegerField(source="designation.enterprise_id")
    enterprise_uscc = serializers.CharField(source="designation.enterprise.uscc")
    enterprise_name = serializers.CharField(source="designation.enterprise.name")
    region = serializers.CharField(source="designation.enterprise.region.code")
    cluster = serializers.CharField(source="designation.cluster.code", allow_null=True, default=None)
    status = serializers.ChoiceField(source="designation.status", choices=Designation._meta.get_field("status").choices)
    result_status = serializers.CharField(allow_null=True, help_text=_("当前年度的评价结论；无结果时为 null。"))
    no_longer_eligible = serializers.BooleanField(help_text=_("候选或公示中，但当前评价已不符合。"))


class CandidatesAddSerializer(StrictSerializer):
    enterprises = serializers.ListField(
        child=serializers.CharField(), min_length=1, max_length=5000, help_text=_("企业 id 或统一社会信用代码。")
    )
    cluster = SlugRelatedField(
        slug_field="code",
        queryset=Cluster.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("链主企业批次：集群代码。"),
    )


class CandidatesAddedSerializer(StrictSerializer):
    added = serializers.IntegerField()
    skipped = serializers.DictField(child=serializers.IntegerField(), help_text=_("未加入的原因 → 企业数。"))


class PublicizeSerializer(StrictSerializer):
    publicity_start = DateField(required=False)
    publicity_end = DateField(required=False)


class PublishSerializer(StrictSerializer):
    published_on = DateField(required=False, help_text=_("发布日期，即认定日期；默认今天。"))
    document_no = CharField(required=False, allow_blank=True, help_text=_("文号；批次未填时必填。"))


class WithdrawSerializer(StrictSerializer):
    reason = CharField(required=False, allow_blank=True)


class ReviewsAddSerializer(StrictSerializer):
    region = RegexField(r"^\d{2,6}$", required=False, help_text=_("行政区划代码前缀，如 3205。"))


class ReviewsAddedSerializer(StrictSerializer):
    added = serializers.IntegerField()


class ReviewSerializer(StrictModelSerializer):
    class Meta:
        model = BatchReview
        fields = ["id", "designation", "outcome", "note"]
        read_only_fields = ["id", "designation"]


class ObjectionSerializer(VisibleRelationsMixin, StrictModelSerializer):
    class Meta:
        model = Objection
        fields = ["id", "designation", "received_on", "objector", "content", "resolution", "resolution_note"]
        read_only_fields = ["id", "resolution", "resolution_note"]


class ObjectionResolveSerializer(StrictSerializer):
    resolution = serializers.ChoiceField(choices=[c for c in Objection.Resolution.choices if c[0] != "pending"])
    resolution_note = CharField(required=False, allow_blank=True)
