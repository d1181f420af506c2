"""Filters for stored eligibility results, gaps, rulesets and runs."""

import django_filters as filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from api.filtersets import (
    REGION_PREFIX_LABEL,
    BooleanFilter,
    CodeMultipleChoiceFilter,
    ModelMultipleChoiceFilter,
    MultipleChoiceFilter,
    YearFilter,
    within_region_filter,
)
from tracker.models import Cluster, EligibilityResult, EvaluationRun, Ruleset, Tier
from tracker.models.enterprises import enterprise_key_q, validate_enterprise_key
from tracker.models.evaluation import ResultStatus


class GapFilterSet(filters.FilterSet):
    """Filters shared by results and gaps. Without `fiscal_year`, the current year is shown: that of the
    last completed full recompute (an ad-hoc run for another date does not change it)."""

    tier = ModelMultipleChoiceFilter(queryset=Tier.objects.all(), label=_("梯度层级代码"))
    region = filters.CharFilter(method=within_region_filter, label=REGION_PREFIX_LABEL)
    cluster = CodeMultipleChoiceFilter(field_name="cluster__code", queryset=Cluster.objects.all(), label=_("集群代码"))
    near_miss = BooleanFilter(label=_("接近达标"))
    fiscal_year = YearFilter(label=_("评价年度；省略时为当前年度（最近一次全量评价的年度）"))
    enterprise = filters.CharFilter(
        method="filter_enterprise", validators=[validate_enterprise_key], label=_("企业 id 或统一社会信用代码")
    )

    class Meta:
        model = EligibilityResult
        fields = ["tier", "region", "cluster", "near_miss", "fiscal_year", "enterprise"]

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise_key_q(value, "enterprise__"))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if self.form.cleaned_data.get("fiscal_year") is None:
            queryset = queryset.current()
        return queryset


class ResultFilterSet(GapFilterSet):
    status = MultipleChoiceFilter(choices=ResultStatus.choices, label=_("结论"))

    class Meta(GapFilterSet.Meta):
        fields = [*GapFilterSet.Meta.fields, "status"]


class RulesetFilterSet(filters.FilterSet):
    tier = ModelMultipleChoiceFilter(queryset=Tier.objects.all(), label=_("梯度层级代码"))
    status = MultipleChoiceFilter(choices=Ruleset.Status.choices, label=_("状态"))
    mode = MultipleChoiceFilter(choices=Ruleset.Mode.choices, label=_("适用情形"))
    jurisdiction = filters.CharFilter(
        field_name="jurisdiction__code", label=_("适用地区代码；national 表示全国标准"), method="filter_jurisdiction"
    )
    as_of = filters.DateFilter(method="filter_as_of", label=_("在该日期施行（施行日期 ≤ 日期 ≤ 截止日期）"))

    class Meta:
        model = Ruleset
        fields = ["tier", "status", "mode", "jurisdiction", "as_of"]

    def filter_jurisdiction(self, queryset, name, value):
        if value.strip().lower() == "national":
            return queryset.filter(jurisdiction__isnull=True)
        return queryset.filter(jurisdiction__code=value.strip())

    def filter_as_of(self, queryset, name, value):
        return queryset.filter(Q(effective_to__isnull=True) | Q(effective_to__gte=value), effective_from__lte=value)


class RunFilterSet(filters.FilterSet):
    kind = MultipleChoiceFilter(choices=EvaluationRun.Kind.choices, label=_("类型"))
    status = MultipleChoiceFilter(choices=EvaluationRun.Status.choices, label=_("状态"))
    as_of = filters.DateFilter(label=_("评价基准日"))

    class Meta:
        model = EvaluationRun
        fields = ["kind", "status", "as_of"]
