from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from tracker.models.row_rules import RowRule, check_instance, present
from tracker.models.scoping import RegionScopedQuerySet
from tracker.models.versioning import version_field

NON_NEGATIVE = [MinValueValidator(Decimal("0"))]
FRACTION = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))]


def money(label, *, signed=False, help_text=""):
    return models.DecimalField(
        label,
        max_digits=18,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[] if signed else NON_NEGATIVE,
        help_text=help_text,
    )


def ratio(label, help_text=""):
    return models.DecimalField(
        label, max_digits=7, decimal_places=6, null=True, blank=True, validators=FRACTION, help_text=help_text
    )


def count(label, help_text=""):
    return models.PositiveIntegerField(label, null=True, blank=True, help_text=help_text)


def flag(label, help_text=""):
    return models.BooleanField(label, null=True, blank=True, help_text=help_text)


class RdInstitutionLevel(models.TextChoices):
    NONE = "none", _("无")
    BELOW_CITY = "below_city", _("市级以下")
    CITY = "city", _("市级")
    PROVINCIAL = "provincial", _("省级（省部级）")
    NATIONAL = "national", _("国家级")


class AwardLevel(models.TextChoices):
    NONE = "none", _("无")
    PROVINCIAL = "provincial", _("省级")
    NATIONAL = "national", _("国家级")


class ChuangkeRank(models.TextChoices):
    NONE = "none", _("无")
    TOP500 = "top500", _("全国500强企业组")
    TOP50 = "top50", _("全国50强企业组")


class FactSource(models.TextChoices):
    ENTERED = "entered", _("人工录入")
    IMPORTED = "imported", _("批量导入")
    ATTESTED = "attested", _("核实认定")
    PLATFORM = "platform", _("平台数据")


def revenue_order(*, descending: bool) -> list:
    """A year's metrics by revenue: largest first with the blanks after them, or the blanks first
    and then the smallest — the two directions of one scan of ``metrics_revenue_order``, ties in id
    order of the same direction. Missing is not zero, and "largest first" should open on the largest:
    PostgreSQL's own descending order puts the blanks first, and the tie-break then sorted every blank
    of the year before the first row could be shown (23,000 at 1M, 1.1 s at 10M)."""
    revenue, pk = models.F("revenue"), models.F("id")
    if descending:
        return [revenue.desc(nulls_last=True), pk.desc()]
    return [revenue.asc(nulls_first=True), pk.asc()]


class MetricsQuerySet(RegionScopedQuerySet):
    region_lookup = "enterprise__region"


class AnnualMetrics(models.Model):
    """The facts of one enterprise for one fiscal year. Every field may be empty: missing is not zero.

    Money is CNY yuan except *_usd; ratios are fractions 0–1. Field names are the API contract
    (docs/architecture.md, "Domain model").
    """

    # No index of its own: the (enterprise, fiscal_year) unique index leads with enterprise.
    enterprise = models.ForeignKey(
        "tracker.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="metrics",
        db_index=False,
    )
    fiscal_year = models.PositiveSmallIntegerField(
        _("年度"), validators=[MinValueValidator(1990), MaxValueValidator(2100)]
    )
    revenue = money(_("营业收入（元）"))
    main_business_revenue = money(_("主营业务收入（元）"))
    rd_expense = money(_("研发费用（元）"))
    net_profit = money(_("净利润（元）"), signed=True)
    total_assets = money(_("资产总额（元）"))
    total_liabilities = money(_("负债总额（元）"))
    equity_financing = money(_("当年股权融资（元）"), help_text=_("合格机构投资者实缴额。"))
    employees = count(_("从业人员（人）"))
    rd_staff = count(_("研发人员（人）"))
    ip_class1 = count(_("Ⅰ类知识产权（项）"), _("与主导产品相关的有效Ⅰ类知识产权。"))
    ip_class1_self_developed = count(_("自主研发Ⅰ类知识产权（项）"))
    ip_class1_high_value = count(_("Ⅰ类高价值知识产权（项）"))
    ip_class2 = count(_("Ⅱ类知识产权（项）"))
    niche_market_share = ratio(_("细分市场占有率"), _("主导产品国内细分市场占有率。"))
    niche_market_rank_cn = count(_("国内细分市场排名"), _("1 表示第一。"))
    global_market_rank = count(_("全球市场占有率排名"), _("主导产品全球排名，1 表示第一。"))
    valuation_usd = money(_("最新估值（美元）"))
    cumulative_financing_usd = money(_("累计融资（美元）"))
    digital_level = models.PositiveSmallIntegerField(
        _("数字化水平等级"), null=True, blank=True, validators=[MaxValueValidator(4)]
    )
    rd_institution_level = models.CharField(
        _("研发机构级别"), max_length=16, choices=RdInstitutionLevel.choices, null=True, blank=True
    )
    platform_score = models.DecimalField(
        _("专精特新发展评价得分"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    distinctiveness_points = models.DecimalField(
        _("特色化指标得分"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("15"))],
        help_text=_(
            "专精特新（2022 年标准）评价指标第三项“特色化指标”的得分（0–15 分），按省级主管部门确定的特色化指标"
            "核实后填写；留空表示尚未核实，不按 0 分计。"
        ),
    )
    distinctiveness_attested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("特色化得分核实人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    distinctiveness_attested_at = models.DateTimeField(_("特色化得分核实时间"), null=True, blank=True)
    local_suppliers = count(_("本地配套企业数"))
    local_procurement_ratio = ratio(_("本地配套率"))
    high_tech_certified = flag(_("高新技术企业等有效荣誉"))
    qms_certified = flag(_("质量管理体系认证"))
    quality_award = flag(_("省级以上质量奖"))
    own_brand = flag(_("自主品牌"))
    standards_drafting = flag(_("参与标准制修订"))
    sei_field = flag(_("属战略性新兴产业领域"))
    key_chain_link = flag(_("补短板/锻长板/填空白"))
    six_foundations = flag(_("属工业“六基”领域"))
    compliance_ok = flag(_("合规经营"), _("未列入经营异常名录或严重失信主体名单，近三年无重大安全、质量、环境事故。"))
    market_position_leading = flag(_("细分市场地位较为靠前"), _("需核实认定。"))
    st_award_level = models.CharField(
        _("科技奖励级别"), max_length=16, choices=AwardLevel.choices, null=True, blank=True
    )
    st_award_rank = models.PositiveSmallIntegerField(_("科技奖励排名"), null=True, blank=True)
    chuangke_rank = models.CharField(
        _("创客中国名次"), max_length=16, choices=ChuangkeRank.choices, null=True, blank=True
    )
    source = models.CharField(_("数据来源"), max_length=16, choices=FactSource.choices, default=FactSource.ENTERED)
    version = version_field()
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = MetricsQuerySet.as_manager()

    class Meta:
        verbose_name = _("年度指标")
        verbose_name_plural = _("年度指标")
        ordering = ["enterprise_id", "-fiscal_year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "fiscal_year"], name="metrics_one_row_per_year"),
        ]
        indexes = [
            # What changed since a moment: incremental runs and the cluster revenue snapshot's patches.
            models.Index(fields=["updated_at"], name="metrics_updated_at"),
            # The admin's list, newest year first (ordering -fiscal_year, -id): without it each page
            # sorted every row (6.4 s at a million enterprises).
            models.Index(fields=["fiscal_year", "id"], name="metrics_year_id"),
            # A year's metrics by revenue (``revenue_order``: largest first, blanks last, or the reverse),
            # and its revenues from the index alone: the worker's cluster revenue snapshot
            # (tracker/pipeline/cluster_ranks.py) reads them so.
            models.Index(
                models.F("fiscal_year"),
                models.F("revenue").desc(nulls_last=True),
                models.F("id").desc(),
                include=("enterprise",),
                name="metrics_revenue_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.enterprise} · {self.fiscal_year}"

    def clean(self) -> None:
        check_instance(METRICS_RULES, self)

    def validate_constraints(self, exclude=None) -> None:
        # Django's message for the unique constraint names neither the enterprise nor the year.
        if not {"enterprise", "fiscal_year"} & set(exclude or ()) and self.enterprise_id and self.fiscal_year:
            existing = (
                AnnualMetrics.objects.filter(enterprise_id=self.enterprise_id, fiscal_year=self.fiscal_year)
                .exclude(pk=self.pk)
                .values_list("pk", flat=True)
                .first()
            )
            if existing is not None:
                raise ValidationError(
                    {
                        "fiscal_year": ValidationError(
                            _("%(name)s（%(uscc)s）%(year)s 年度的指标已存在（id %(id)s）：请修改该记录，不要再新增。"),
                            code="unique",
                            params={
                                "name": self.enterprise.name,
                                "uscc": self.enterprise.uscc,
                                "year": self.fiscal_year,
                                "id": existing,
                            },
                        )
                    }
                )
        super().validate_constraints(exclude)


# Cross-field rules (row_rules.py): checked by clean() on one row and by the importer on whole files.
METRICS_RULES = (
    RowRule(
        "rd_staff",
        _("研发人员不能多于从业人员。"),
        reads=("rd_staff", "employees"),
        needs=("rd_staff", "employees"),
        violated=lambda c: c["rd_staff"] > c["employees"],
    ),
    RowRule(
        "main_business_revenue",
        _("主营业务收入不能高于营业收入。"),
        reads=("main_business_revenue", "revenue"),
        needs=("main_business_revenue", "revenue"),
        violated=lambda c: c["main_business_revenue"] > c["revenue"],
    ),
    RowRule(
        "st_award_rank",
        _("填写科技奖励排名时须选择奖励级别。"),
        reads=("st_award_rank", "st_award_level"),
        needs=("st_award_rank",),
        violated=lambda c: ~present(c["st_award_level"]) | (c["st_award_level"] == AwardLevel.NONE.value),
    ),
)


# Who attested the 特色化 points, and when: provenance, not a fact the engine reads.
ATTESTATION_FIELDS = ("distinctiveness_attested_by", "distinctiveness_attested_at")

# The fields the rules engine reads, in model order (excludes bookkeeping).
METRIC_FIELDS = [
    f.name
    for f in AnnualMetrics._meta.concrete_fields
    if f.name not in {"id", "enterprise", "fiscal_year", "source", "version", "updated_at", *ATTESTATION_FIELDS}
]
