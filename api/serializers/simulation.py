"""What-if input: the same fields and validation as the stored resources, nothing stored.

Each serializer takes its fields from the model the stored API writes (so the model's validators —
non-negative money, ratios 0–1, fiscal years 1990–2100, choices — apply unchanged) and runs the model's
own ``clean()`` (cross-field rules such as "R&D staff ≤ employees" or "valid until after recognised on").
Missing keys are unknown facts, never zero; keys the resource does not have are rejected.
"""

import copy
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.serializers.base import IntegerField, StrictModelSerializer
from api.serializers.designations import DesignationSerializer
from api.serializers.metrics import _unit_help_texts
from tracker.models import AnnualMetrics, Cluster, Designation, Enterprise
from tracker.models.metrics import METRIC_FIELDS
from tracker.services.eligibility import ATTRIBUTES


class _StrictModelSerializer(StrictModelSerializer):
    """A model serializer for input only (unknown keys are errors, as everywhere): the model's clean() runs, and no
    field is required beyond what the model needs (a missing fact is unknown)."""

    extra_fields: tuple[str, ...] = ()

    def validate(self, attrs):
        model_attrs = {k: v for k, v in attrs.items() if k not in self.extra_fields}
        try:
            self.Meta.model(**model_attrs).clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


# Inline in the schema: the cluster resource already names this choice set (GroupEnum).
@extend_schema_field({"type": "string", "enum": [value for value, _label in Cluster.Group.choices]})
class ClusterGroupField(serializers.ChoiceField):
    pass


class SimulatedEnterpriseSerializer(_StrictModelSerializer):
    """The enterprise attributes the engine reads, as in the enterprise resource."""

    extra_fields = ("cluster_group", "revenue_rank_in_cluster")
    cluster_group = ClusterGroupField(
        choices=Cluster.Group.choices, required=False, help_text=_("所在集群类别（仅链主等按集群认定的层级使用）。")
    )
    revenue_rank_in_cluster = IntegerField(
        min_value=1, required=False, help_text=_("集群内营业收入排名，1 为第一（仅按集群认定的层级使用）。")
    )

    class Meta:
        model = Enterprise
        fields = [*ATTRIBUTES, "cluster_group", "revenue_rank_in_cluster"]


class SimulatedMetricsSerializer(_StrictModelSerializer):
    """One fiscal year of facts, as in the annual metrics resource (money in CNY yuan, ratios 0–1)."""

    class Meta:
        model = AnnualMetrics
        fields = ["fiscal_year", *METRIC_FIELDS]
        extra_kwargs = _unit_help_texts(AnnualMetrics)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # The engine computes in floats; the checks above ran on the exact decimals.
        return {k: float(v) if isinstance(v, Decimal) else v for k, v in attrs.items()}


class SimulatedDesignationSerializer(_StrictModelSerializer):
    """A title held (or not), as in the designations resource (its cluster field and tier help text)."""

    cluster = copy.deepcopy(DesignationSerializer._declared_fields["cluster"])

    class Meta:
        model = Designation
        fields = ["tier", "cluster", "status", "recognized_on", "valid_until"]
        extra_kwargs = {"tier": DesignationSerializer.Meta.extra_kwargs["tier"]}


def positional_errors(detail, prefix: str = "") -> dict[str, list]:
    """DRF's nested error detail as one flat mapping whose keys name the position of the bad value:
    ``{"metrics": [{}, {"revenue": […]}]}`` → ``{"metrics[1].revenue": […]}``."""
    if isinstance(detail, dict):
        out: dict[str, list] = {}
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            out.update(positional_errors(value, path))
        return out
    if isinstance(detail, list) and any(isinstance(item, dict | list) for item in detail):
        out = {}
        for index, item in enumerate(detail):
            if item:
                out.update(positional_errors(item, f"{prefix}[{index}]"))
        return out
    return {prefix or "non_field_errors": list(detail) if isinstance(detail, list) else [detail]}
