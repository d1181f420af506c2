"""Explicit FilterSets (NetBox style): each relation by id (`<fk>_id`) and by its code side by side.

Choices come from the read layer (``visible``: an enterprise outside the reader's region is not a valid
choice, as if it did not exist); "held" and "within a region" are the QuerySets' own definitions.
"""

import operator
import re
from datetime import timedelta
from functools import reduce

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import filters as drf_filters
from rest_framework.exceptions import ValidationError as DRFValidationError

from api.scoping import visible
from tracker import uscc
from tracker.models import AnnualMetrics, Cluster, ClusterMembership, Designation, Enterprise, Region, Tier
from tracker.models.designations import DesignationStatus
from tracker.models.enterprises import Sector, validate_enterprise_key
from tracker.models.name_search import name_contains_q

USCC_FRAGMENT = re.compile(r"^[0-9A-Za-z]{3,18}$")  # trigrams: three characters or more
REGION_PREFIX_LABEL = _("行政区划代码或前缀：3205 或 320500 匹配苏州市及其下辖各区县")


class SkipEmptyMixin:
    """A multiple-choice field that leaves out empty values: ``?tier=`` is no filter, as an empty value
    is for every other filter (django-filter would look for a tier with the code "")."""

    def clean(self, value):
        if isinstance(value, list | tuple):
            value = [item for item in value if item not in ("", None)]
        return super().clean(value)


class SkipEmptyMultipleChoiceField(SkipEmptyMixin, filters.fields.MultipleChoiceField):
    pass


class SkipEmptyModelMultipleChoiceField(SkipEmptyMixin, filters.fields.ModelMultipleChoiceField):
    pass


class MultipleChoiceFilter(filters.MultipleChoiceFilter):
    """Values of a column of the row itself (or of a to-one relation): an OR of equalities, which
    cannot repeat a row, so no DISTINCT (django-filter's default adds it to the page and its count).
    Filters over to-many relations use EXISTS instead (``filter_cluster``)."""

    field_class = SkipEmptyMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class ModelMultipleChoiceFilter(filters.ModelMultipleChoiceFilter):
    """Objects of a to-one relation: no DISTINCT (as ``MultipleChoiceFilter``)."""

    field_class = SkipEmptyModelMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeMultipleChoiceFilter(ModelMultipleChoiceFilter):
    """Objects chosen by their `code`; documented as strings (the schema cannot infer it through a method)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, to_field_name="code", **kwargs)


class IntegerFilter(filters.NumberFilter):
    """A whole number (django-filter's NumberFilter takes 0.5 for an integer column and filters by it)."""

    field_class = forms.IntegerField


# Fiscal years as the metrics model bounds them; the schema declares the bounds (schemathesis reads them).
YEAR_MIN, YEAR_MAX = 1990, 2100


@extend_schema_field({"type": "integer", "minimum": YEAR_MIN, "maximum": YEAR_MAX})
class YearFilter(IntegerFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=YEAR_MIN, max_value=YEAR_MAX, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 3660})
class DaysFilter(IntegerFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, min_value=0, max_value=3660, **kwargs)


class StrictBooleanField(forms.Field):
    """``true`` or ``false`` (any case); empty is no filter. Django's NullBooleanField reads any other
    word (``null``, ``yes please``) as "unknown", which a filter then silently ignores."""

    default_error_messages = {"invalid": _("“%(value)s”无效：须为 true 或 false。")}

    def to_python(self, value):
        if value in (None, ""):
            return None
        word = str(value).strip().lower()
        if word in ("true", "false"):
            return word == "true"
        raise ValidationError(self.error_messages["invalid"], code="invalid", params={"value": str(value)[:40]})


class BooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, widget=forms.TextInput, **kwargs)


def _uscc_filter(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.filter(**{name: uscc.normalize(value)})


def within_region_filter(queryset: QuerySet, name: str, value: str) -> QuerySet:
    return queryset.within_region(value)


class RegionFilterSet(filters.FilterSet):
    code = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    level = MultipleChoiceFilter(choices=Region.Level.choices, label=_("级别"))
    parent = filters.CharFilter(field_name="parent__code", label=_("上级区划代码"))
    parent_id = ModelMultipleChoiceFilter(
        field_name="parent", queryset=visible(Region.objects.all()), label=_("上级区划 id")
    )

    class Meta:
        model = Region
        fields = ["code", "level", "parent", "parent_id"]


class ClusterFilterSet(filters.FilterSet):
    code = filters.CharFilter(label=_("集群代码"))
    group = MultipleChoiceFilter(choices=Cluster.Group.choices, label=_("集群类别"))

    class Meta:
        model = Cluster
        fields = ["code", "group"]


class TierFilterSet(filters.FilterSet):
    track = MultipleChoiceFilter(choices=Tier.Track.choices, label=_("梯队"))
    per_cluster = BooleanFilter(label=_("按集群认定"))

    class Meta:
        model = Tier
        fields = ["track", "per_cluster"]


class EnterpriseFilterSet(filters.FilterSet):
    region = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    region_id = ModelMultipleChoiceFilter(
        field_name="region", queryset=visible(Region.objects.all()), label=_("所在地区 id")
    )
    cluster = CodeMultipleChoiceFilter(queryset=Cluster.objects.all(), method="filter_cluster", label=_("集群代码"))
    cluster_id = ModelMultipleChoiceFilter(
        field_name="clusters", queryset=Cluster.objects.all(), method="filter_cluster", label=_("集群 id")
    )
    tier = ModelMultipleChoiceFilter(
        field_name="designations__tier",
        queryset=Tier.objects.all(),
        method="filter_designated_tier",
        label=_("持有该层级认定（有效、待复核或复核通过）的企业，按层级代码"),
    )
    sector = MultipleChoiceFilter(choices=Sector.choices, label=_("行业（划型）"))
    listed = BooleanFilter(label=_("已上市"))
    archived = filters.ChoiceFilter(
        choices=[("false", _("在册")), ("true", _("已归档")), ("all", _("全部"))],
        method="filter_archived",
        label=_("归档状态：false 在册（省略时的默认）、true 已归档、all 全部"),
    )

    class Meta:
        model = Enterprise
        fields = ["region", "region_id", "cluster", "cluster_id", "tier", "sector", "listed", "archived"]

    def filter_archived(self, queryset, name, value):
        # Without the parameter the list shows the register (EnterpriseViewSet.get_queryset).
        return {"false": queryset.active(), "true": queryset.archived()}.get(value, queryset)

    # Exists() rather than a join keeps one row per enterprise without DISTINCT.
    def filter_cluster(self, queryset, name, value):
        if not value:
            return queryset
        memberships = ClusterMembership.objects.filter(enterprise=OuterRef("pk"), cluster__in=value)
        return queryset.filter(Exists(memberships))

    def filter_designated_tier(self, queryset, name, value):
        if not value:
            return queryset
        held = Designation.objects.filter(enterprise=OuterRef("pk"), tier__in=value).held_on(timezone.localdate())
        return queryset.filter(Exists(held))


class AnnualMetricsFilterSet(filters.FilterSet):
    enterprise_id = ModelMultipleChoiceFilter(
        field_name="enterprise", queryset=visible(Enterprise.objects.all()), label=_("企业 id")
    )
    enterprise = filters.CharFilter(
        field_name="enterprise__uscc",
        method=_uscc_filter,
        validators=[validate_enterprise_key],
        label=_("企业统一社会信用代码"),
    )
    region = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    fiscal_year = YearFilter(label=_("年度"))
    fiscal_year__gte = YearFilter(field_name="fiscal_year", lookup_expr="gte", label=_("年度不早于"))
    fiscal_year__lte = YearFilter(field_name="fiscal_year", lookup_expr="lte", label=_("年度不晚于"))

    class Meta:
        model = AnnualMetrics
        fields = ["enterprise_id", "enterprise", "region", "fiscal_year", "fiscal_year__gte", "fiscal_year__lte"]


class DesignationFilterSet(filters.FilterSet):
    enterprise_id = ModelMultipleChoiceFilter(
        field_name="enterprise", queryset=visible(Enterprise.objects.all()), label=_("企业 id")
    )
    enterprise = filters.CharFilter(
        field_name="enterprise__uscc",
        method=_uscc_filter,
        validators=[validate_enterprise_key],
        label=_("企业统一社会信用代码"),
    )
    region = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    tier = ModelMultipleChoiceFilter(field_name="tier", queryset=Tier.objects.all(), label=_("梯度层级代码"))
    status = MultipleChoiceFilter(choices=DesignationStatus.choices, label=_("状态"))
    cluster = CodeMultipleChoiceFilter(field_name="cluster__code", queryset=Cluster.objects.all(), label=_("集群代码"))
    cluster_id = ModelMultipleChoiceFilter(
        field_name="cluster", queryset=Cluster.objects.all(), label=_("集群 id")
    )
    valid_until__gte = filters.DateFilter(field_name="valid_until", lookup_expr="gte", label=_("有效期至不早于"))
    valid_until__lte = filters.DateFilter(field_name="valid_until", lookup_expr="lte", label=_("有效期至不晚于"))
    due_within_days = DaysFilter(
        method="filter_due_within_days",
        label=_("今天持有且在今后 N 天内到期（含今天）的认定"),
    )

    class Meta:
        model = Designation
        fields = [
            "enterprise_id",
            "enterprise",
            "region",
            "tier",
            "status",
            "cluster",
            "cluster_id",
            "valid_until__gte",
            "valid_until__lte",
            "due_within_days",
        ]

    def filter_due_within_days(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.held_on(today).filter(valid_until__lte=today + timedelta(days=int(value)))


class OrderingFilter(drf_filters.OrderingFilter):
    """``?ordering=``, as DRF orders, except a term whose order the read layer defines (a view's
    ``read_layer_orderings``: term → ``ordering(descending=…)``), when it comes first: the list is then
    ordered as the admin's is, blanks and ties included (``-revenue``: largest first, no revenue last,
    ties by id), which is also the order an index holds, and stable from page to page."""

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        first = ordering[0] if ordering else None
        defined = getattr(view, "read_layer_orderings", {}).get(first.lstrip("-")) if isinstance(first, str) else None
        return defined(descending=first.startswith("-")) if defined else ordering


class SearchFilter(drf_filters.SearchFilter):
    """``?search=``: every word must match one of the view's ``search_fields``.

    An enterprise's name is matched by the read layer's ``name_contains_q`` (served by its trigram and
    two-character indexes); its USCC by a fragment of three letters or digits (its trigram index), so a
    Chinese word never scans the USCC column. Other fields: contains, as DRF does.
    """

    search_description = _(
        "按企业名称的片段（两个字起）或统一社会信用代码的片段（三位起）搜索；多个词以空格分隔，须全部匹配。"
    )

    def get_search_terms(self, request):
        # DRF checks the terms (a NUL is refused) but its error names no field.
        try:
            return super().get_search_terms(request)
        except DRFValidationError as exc:
            raise DRFValidationError({self.search_param: exc.detail}) from None

    def filter_queryset(self, request, queryset, view):
        fields = self.get_search_fields(view, request)
        terms = self.get_search_terms(request)
        if not fields or not terms:
            return queryset
        for term in terms:
            matches = [q for q in (self._match(queryset.model, field, term) for field in fields) if q is not None]
            queryset = queryset.filter(reduce(operator.or_, matches)) if matches else queryset.none()
        return queryset

    @staticmethod
    def _match(model, field: str, term: str) -> Q | None:
        prefix, _sep, name = field.rpartition("__")
        prefix = f"{prefix}__" if prefix else ""
        of_enterprise = prefix == "enterprise__" or (not prefix and model is Enterprise)
        if name == "name" and of_enterprise:
            return name_contains_q(term, prefix)
        if name == "uscc" and of_enterprise:
            return Q(**{f"{field}__contains": term.upper()}) if USCC_FRAGMENT.match(term) else None
        return Q(**{f"{field}__icontains": term})
