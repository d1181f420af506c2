"""Designations: official recognitions moving along the lifecycle (the service enforces it)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from api.scoping import VisibleRelationsMixin
from api.serializers.base import CharField, SlugRelatedField, StrictModelSerializer
from tracker.models import Cluster, Designation
from tracker.services.designations import ENTERPRISE_FIXED


class DesignationSerializer(VisibleRelationsMixin, StrictModelSerializer):
    enterprise_uscc = serializers.CharField(source="enterprise.uscc", read_only=True)
    cluster = SlugRelatedField(
        slug_field="code",
        queryset=Cluster.objects.all(),
        allow_null=True,
        required=False,
        help_text=_("产业集群代码，仅链主企业填写。"),
    )
    change_reason = CharField(
        write_only=True, required=False, allow_blank=True, help_text=_("修改原因，记入历史（仅更新时使用）。")
    )

    def validate_enterprise(self, enterprise):
        # The service refuses it too (designation_update); here the client reads it as a field error.
        if self.instance is not None and enterprise.pk != self.instance.enterprise_id:
            raise serializers.ValidationError(ENTERPRISE_FIXED)
        return enterprise

    class Meta:
        model = Designation
        fields = [
            "id",
            "enterprise",
            "enterprise_uscc",
            "tier",
            "cluster",
            "batch",
            "designation_batch",
            "document_no",
            "recognized_on",
            "valid_until",
            "status",
            "note",
            "change_reason",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["designation_batch"]
        extra_kwargs = {
            "tier": {"help_text": _("梯度层级代码。")},
            "designation_batch": {"help_text": _("认定批次 id（经批次认定时）；历史名单只有“批次”文字。")},
        }
