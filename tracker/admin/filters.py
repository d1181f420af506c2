"""List filters whose choices come from small tables (regions, clusters, tiers).

Django's default filters on a foreign key or a plain field run SELECT DISTINCT over the filtered
table to find their choices: at a million enterprises that alone costs hundreds of milliseconds per
page. Region choices follow the reader's scope; "held" is the read layer's definition.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import Cluster, ClusterMembership, Designation, EvaluationRun, Region, Tier
from tracker.models.scoping import region_scope


class RegionFilter(admin.SimpleListFilter):
    """By city for province users, by county for a city's users (a county's users need none).

    The rows of a choice include its counties and the retired codes merged into it.
    """

    title = _("所在地区")
    parameter_name = "region"

    def lookups(self, request, model_admin):
        scope = region_scope(request.user)
        office = scope.office_region
        regions = Region.objects.current().order_by("code")
        if scope.unrestricted:
            regions = regions.filter(level=Region.Level.PREFECTURE)
        elif office is not None and office.level == Region.Level.PREFECTURE:
            regions = regions.filter(parent=office)
        else:
            return []
        return [(region.code, region.name) for region in regions]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.within_region(self.value())


class CountyFilter(admin.SimpleListFilter):
    """By county once a province user has chosen a city (a city's users choose counties in RegionFilter)."""

    title = _("县（市、区）")
    parameter_name = "county"

    def lookups(self, request, model_admin):
        city = request.GET.get(RegionFilter.parameter_name, "")
        if not (region_scope(request.user).unrestricted and city):
            return []
        counties = Region.objects.current().filter(parent__code=city, level=Region.Level.COUNTY).order_by("code")
        return [(region.code, region.name) for region in counties]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.within_region(self.value())


class ClusterFilter(admin.SimpleListFilter):
    title = _("产业集群")
    parameter_name = "cluster"

    def lookups(self, request, model_admin):
        return [(str(c.pk), c.name_zh) for c in Cluster.objects.order_by("group", "code")]

    def cluster_id(self) -> int | None:
        value = self.value() or ""
        return int(value) if value.isascii() and value.isdigit() else None

    def queryset(self, request, queryset):
        if self.cluster_id() is None:
            return queryset
        return queryset.filter(cluster_id=self.cluster_id())


class MemberClusterFilter(ClusterFilter):
    """Rows of the cluster's member enterprises, as the report counts tiers by cluster; of a tier decided
    per cluster (the chain leader), only the cluster's own row. Membership is asked of its (enterprise,
    cluster) index, so the filter needs no index on the rows' cluster: results carry one only for the
    per-cluster tier, and scanning 8 million of them for it took seconds at a million enterprises."""

    def queryset(self, request, queryset):
        cluster = self.cluster_id()
        if cluster is None:
            return queryset
        members = ClusterMembership.objects.filter(enterprise_id=OuterRef("enterprise_id"), cluster_id=cluster)
        return queryset.filter(Exists(members)).filter(Q(cluster_id__isnull=True) | Q(cluster_id=cluster))


class EnterpriseClusterFilter(ClusterFilter):
    """Enterprises that are members of a cluster (EXISTS, so no duplicate rows and no DISTINCT)."""

    def queryset(self, request, queryset):
        if self.cluster_id() is None:
            return queryset
        members = ClusterMembership.objects.filter(enterprise=OuterRef("pk"), cluster_id=self.cluster_id())
        return queryset.filter(Exists(members))


class TierFilter(admin.SimpleListFilter):
    title = _("梯度层级")
    parameter_name = "tier"

    def lookups(self, request, model_admin):
        return [(t.code, t.name_zh) for t in Tier.objects.order_by("track", "ladder_order")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(tier_id=self.value())


class DesignatedTierFilter(TierFilter):
    """Enterprises that hold a tier today (``Designation.objects.held_on``)."""

    title = _("已认定层级")
    parameter_name = "designated"

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        held = Designation.objects.filter(enterprise=OuterRef("pk"), tier_id=self.value()).held_on(timezone.localdate())
        return queryset.filter(Exists(held))


class ValidUntilFilter(admin.SimpleListFilter):
    title = _("有效期")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        days = settings.TIDU["REVIEW_DUE_DAYS"]
        return [
            ("soon", _("%(days)s 天内到期") % {"days": days}),
            ("past", _("已过有效期")),
            ("none", _("未填写")),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "soon":
            horizon = today + timedelta(days=settings.TIDU["REVIEW_DUE_DAYS"])
            return queryset.filter(valid_until__gte=today, valid_until__lte=horizon)
        if self.value() == "past":
            return queryset.filter(valid_until__lt=today)
        if self.value() == "none":
            return queryset.filter(valid_until__isnull=True)
        return queryset


class FiscalYearFilter(admin.SimpleListFilter):
    """The last few fiscal years, computed from today rather than read from the table."""

    title = _("年度")
    parameter_name = "fiscal_year"
    years_shown = 6

    def lookups(self, request, model_admin):
        last = timezone.localdate().year
        return [(str(year), str(year)) for year in range(last, last - self.years_shown, -1)]

    def year(self) -> int | None:
        """The chosen year; a value that is not a year chooses none (a hand-typed URL, not a 500)."""
        value = self.value() or ""
        return int(value) if value.isascii() and value.isdigit() and len(value) == 4 else None

    def queryset(self, request, queryset):
        year = self.year()
        return queryset if year is None else queryset.filter(fiscal_year=year)


class CurrentFiscalYearFilter(FiscalYearFilter):
    """Results of the current fiscal year — the last completed full run's, as in the API's lists —
    unless staff choose another. Every year at once is no list anyone reads (each enterprise and tier
    once per year), and its pages walked every year's index entries: 6 s for a city's near misses at a
    million enterprises (docs/benchmarks.md, "Admin pages at 1M")."""

    def current_year(self) -> int:
        if not hasattr(self, "_current_year"):  # one query per page: lookups and queryset both ask
            self._current_year = EvaluationRun.objects.current_fiscal_year()
        return self._current_year

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("当前年度（%(year)s）") % {"year": self.current_year()},
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        return queryset.filter(fiscal_year=self.year() or self.current_year())
