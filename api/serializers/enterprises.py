"""Enterprises with their cluster memberships and a read-only summary of their designations."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.scoping import VisibleRelationsMixin
from api.serializers.base import PrimaryKeyRelatedField, SlugRelatedField, StrictModelSerializer
from tracker.models import ChainSegment, Cluster, ClusterMembership, Designation, Enterprise, Region


class MembershipSerializer(StrictModelSerializer):
    cluster = SlugRelatedField(
        slug_field="code", queryset=Cluster.objects.all(), help_text=_("产业集群代码。")
    )
    segment = PrimaryKeyRelatedField(
        queryset=ChainSegment.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("产业链环节 id（须属于该集群），可为空。"),
    )

    class Meta:
        model = ClusterMembership
        fields = ["cluster", "segment"]


class DesignationBriefSerializer(StrictModelSerializer):
    cluster = SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Designation
        fields = ["id", "tier", "cluster", "status", "recognized_on", "valid_until"]
        read_only_fields = fields


class EnterpriseSerializer(VisibleRelationsMixin, StrictModelSerializer):
    region = SlugRelatedField(
        slug_field="code", queryset=Region.objects.all(), help_text=_("所在地区的行政区划代码（GB/T 2260）。")
    )
    memberships = MembershipSerializer(
        many=True, required=False, help_text=_("所属集群及环节。写入时整体替换；省略则不变。")
    )
    designations = DesignationBriefSerializer(
        many=True,
        read_only=True,
        allow_null=True,
        help_text=_("认定记录（只读）；没有查看认定记录权限的用户得到 null。"),
    )

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "uscc",
            "uscc_check_override",
            "name",
            "region",
            "founded_on",
            "listed",
            "listed_on",
            "sector",
            "niche_since",
            "main_product",
            "product_code",
            "vc_backed",
            "group_has_little_giant",
            "memberships",
            "designations",
            "archived_at",
            "version",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "uscc": {"help_text": _("统一社会信用代码，18 位，按 GB 32100 校验。")},
            "archived_at": {"help_text": _("归档时间；为空表示在册。已有正式记录的企业被删除时改为归档。")},
            "version": {"help_text": _("版本号，每次修改加一；与响应头 ETag 相同，写入时可放在 If-Match 中。")},
            "uscc_check_override": {
                "help_text": _(
                    "校验位不符但依法核发的代码须填写理由；仅对拥有 tracker.override_uscc_check 权限的用户有效。"
                )
            },
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        # A field-level permission: designations are shown to those who may view designations.
        if request is not None and not request.user.has_perm("tracker.view_designation"):
            data["designations"] = None
        return data


class EnterpriseArchivedSerializer(serializers.ModelSerializer):
    """The answer to a DELETE that archived the enterprise instead (it has official records)."""

    detail = serializers.SerializerMethodField()

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "archived_at", "version", "detail"]
        read_only_fields = fields

    def get_detail(self, enterprise) -> str:
        return str(
            _(
                "该企业已有认定记录、年度指标或评价结果，已归档而非删除；"
                "可通过 POST /api/v1/enterprises/%(id)s/restore/ 恢复。"
            )
            % {"id": enterprise.pk}
        )
