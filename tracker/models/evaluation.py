from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models.scoping import RegionScopedQuerySet


class EvaluationRunQuerySet(models.QuerySet):
    def completed_full(self):
        """Runs that evaluated every enterprise for every tier and finished: the nightly run and
        full manual runs, not on-change runs, runs over listed enterprises or limited to some tiers."""
        return self.filter(
            kind__in=[EvaluationRun.Kind.NIGHTLY, EvaluationRun.Kind.MANUAL],
            is_full=True,
            status=EvaluationRun.Status.SUCCEEDED,
        ).exclude(params__has_key="tiers")

    def current_fiscal_year(self) -> int:
        """The fiscal year every reader shows by default: that of the last completed full run, so an
        ad-hoc run for another date changes nobody's view; before any full run, the year a run
        started today would evaluate."""
        year = self.completed_full().order_by("-finished_at", "-pk").values_list("fiscal_year", flat=True).first()
        return year if year is not None else timezone.localdate().year - 1


class EvaluationRun(models.Model):
    """The ledger of one recompute: what was asked, how far it got, what it changed."""

    class Kind(models.TextChoices):
        NIGHTLY = "nightly", _("夜间例行")
        MANUAL = "manual", _("手动")
        ON_CHANGE = "on_change", _("数据变更")
        SIMULATION = "simulation", _("模拟")

    class Status(models.TextChoices):
        PENDING = "pending", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    as_of = models.DateField(_("评价基准日"))
    fiscal_year = models.PositiveSmallIntegerField(_("评价年度"))
    is_full = models.BooleanField(_("全量"), default=True)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("发起人"), null=True, blank=True, on_delete=models.SET_NULL
    )
    chunks_total = models.PositiveIntegerField(_("分片总数"), default=0)
    chunks_done = models.PositiveIntegerField(_("已完成分片"), default=0)
    evaluated = models.PositiveBigIntegerField(_("已评价"), default=0)
    changed = models.PositiveBigIntegerField(_("有变化"), default=0)
    inputs_changed = models.PositiveIntegerField(
        _("输入有变化的企业"),
        default=0,
        help_text=_("输入摘要变化、重新读取全部数据并评价的企业数；其余企业的结果保持不变。"),
    )
    errors = models.PositiveIntegerField(_("错误数"), default=0)
    error_message = models.TextField(_("错误信息"), blank=True)
    timings = models.JSONField(_("耗时"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    objects = EvaluationRunQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价运行")
        verbose_name_plural = _("评价运行")
        ordering = ["-created_at"]
        # "The last run of this kind" (/health/, /metrics): on-change runs make the ledger long.
        indexes = [
            models.Index(fields=["kind", "created_at"], name="run_kind_created"),
            # "The last completed full run" (current_fiscal_year, asked by every list of results).
            models.Index(
                fields=["-finished_at", "-id"], condition=Q(is_full=True, status="succeeded"), name="run_full_finished"
            ),
        ]
        constraints = [
            # A duplicate trigger (two beats, two clicks) finds the open run instead of starting another.
            models.UniqueConstraint(
                fields=["kind", "as_of"],
                condition=Q(is_full=True, status__in=["pending", "running"]),
                name="one_open_full_run_per_kind_and_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.as_of} #{self.pk}"


class RunChunk(models.Model):
    """An id range of enterprises inside a run; the unit a worker claims and finishes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        RUNNING = "running", _("处理中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    run = models.ForeignKey(EvaluationRun, verbose_name=_("评价运行"), on_delete=models.CASCADE, related_name="chunks")
    first_id = models.BigIntegerField(_("起始企业ID"))
    last_id = models.BigIntegerField(_("结束企业ID"))
    enterprise_ids = models.JSONField(
        _("指定企业"), null=True, blank=True, help_text=_("为空表示区间内的全部企业；数据变更触发时只评价列出的企业。")
    )
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    claimed_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    evaluated = models.PositiveIntegerField(_("已评价"), default=0)
    changed = models.PositiveIntegerField(_("有变化"), default=0)
    error_message = models.TextField(_("错误信息"), blank=True)

    class Meta:
        verbose_name = _("运行分片")
        verbose_name_plural = _("运行分片")
        ordering = ["run", "first_id"]
        constraints = [models.UniqueConstraint(fields=["run", "first_id"], name="chunk_unique_start_per_run")]

    def __str__(self) -> str:
        return _("分片 %(first)s–%(last)s") % {"first": self.first_id, "last": self.last_id}


class ResultStatus(models.TextChoices):
    ELIGIBLE = "eligible", _("符合")
    NOT_ELIGIBLE = "not_eligible", _("不符合")
    INSUFFICIENT_DATA = "insufficient_data", _("数据不足")


def gap_order(*, descending: bool = False) -> list:
    """Gaps closest first: the smallest shortfall, then the fewest failing criteria, then id — the order
    of the gap indexes (``result_gap_order``, ``result_near_miss_order``), so a page stops after its
    rows; farthest first is the same scan backwards. A tie-break in another order (the admin's id
    descending) had PostgreSQL sort a tie whole before the first page: at 1M, 16,882 of a tier's gaps
    have a shortfall of 0 (a failed yes/no criterion), and a city's page checked each one's region."""
    columns = [F("shortfall"), F("failing_count"), F("id")]
    return [column.desc() if descending else column.asc() for column in columns]


class EligibilityResultQuerySet(RegionScopedQuerySet):
    region_lookup = "enterprise__region"

    def current(self):
        """The results of the current fiscal year (``EvaluationRun.objects.current_fiscal_year``)."""
        return self.filter(fiscal_year=EvaluationRun.objects.current_fiscal_year())


class EligibilityResult(models.Model):
    """The current verdict per enterprise × tier × fiscal year (× cluster for chain leaders).

    Only what filters and gap lists need is stored, plus the failing and unknown nodes as bitmaps
    over the ruleset's node index; the full explanation is rebuilt on demand from the stored facts
    and the ruleset version recorded here.
    """

    # Results are derived data, rewritten in bulk by the recompute: their foreign keys are enforced by
    # the ORM (on_delete) but not by database constraints or single-column indexes, whose per-row
    # checks at COPY and commit cost more than the evaluation itself (docs/benchmarks.md). The unique
    # constraint below leads with enterprise, which serves lookups by enterprise.
    enterprise = models.ForeignKey(
        "tracker.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="eligibility_results",
        db_constraint=False,
        db_index=False,
    )
    tier = models.ForeignKey(
        "tracker.Tier", verbose_name=_("梯度层级"), on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    fiscal_year = models.PositiveSmallIntegerField(_("评价年度"))
    cluster = models.ForeignKey(
        "tracker.Cluster",
        verbose_name=_("产业集群"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        db_index=False,
    )
    status = models.CharField(_("结论"), max_length=20, choices=ResultStatus.choices)
    score = models.FloatField(_("得分"), null=True, blank=True)
    failing_count = models.PositiveSmallIntegerField(_("未达标条件数"), default=0)
    shortfall = models.FloatField(_("差距（归一化）"), null=True, blank=True)
    near_miss = models.BooleanField(_("接近达标"), default=False)
    ruleset = models.ForeignKey(
        "tracker.Ruleset", verbose_name=_("认定标准"), on_delete=models.PROTECT, db_constraint=False, db_index=False
    )
    failed_nodes = models.BinaryField(_("未达标节点"), default=b"")
    unknown_nodes = models.BinaryField(_("缺数据节点"), default=b"")
    input_hash = models.BigIntegerField(_("输入指纹"))
    run = models.ForeignKey(
        EvaluationRun,
        verbose_name=_("评价运行"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    evaluated_at = models.DateTimeField(_("评价时间"))

    objects = EligibilityResultQuerySet.as_manager()

    class Meta:
        verbose_name = _("评价结果")
        verbose_name_plural = _("评价结果")
        ordering = ["enterprise_id", "tier_id"]
        constraints = [
            # One result per enterprise, year and tier, and per cluster for the per-cluster tier. One
            # index (cluster NULL counted as 0) rather than a partial one per case: leading with
            # enterprise and year, it also serves every lookup by enterprise — each chunk's read of its
            # stored results and the enterprise pages — so no other index on enterprise is needed.
            models.UniqueConstraint(
                F("enterprise"),
                F("fiscal_year"),
                F("tier"),
                Coalesce(F("cluster"), Value(0)),
                name="result_unique_enterprise_year_tier_cluster",
            ),
        ]
        indexes = [
            # "Who is eligible (or lacks data) for this tier": about one row in five; not-eligible rows
            # are left out (every index entry costs the recompute's writes dearly). In the results
            # list's order (enterprise, id), so that a page of a rare status stops after its rows: the
            # planner cannot tell that a tier has almost no eligible rows, and walking every result of
            # the tier in enterprise order took 10 s at a million enterprises.
            models.Index(
                fields=["tier", "fiscal_year", "status", "enterprise", "id"],
                condition=~Q(status="not_eligible"),
                name="result_decided_order",
            ),
            # The gaps list, closest first (shortfall, failing count, id): a page stops after its rows
            # instead of sorting every not-eligible result of a tier (seconds at a million enterprises).
            # It costs the recompute's writes (docs/benchmarks.md) and is the one index not-eligible
            # rows get.
            models.Index(
                fields=["tier", "fiscal_year", "shortfall", "failing_count", "id"],
                condition=Q(status="not_eligible"),
                name="result_gap_order",
            ),
            # Near misses (a few per cent of the gaps) in the same order.
            models.Index(
                fields=["tier", "fiscal_year", "shortfall", "failing_count", "id"],
                condition=Q(near_miss=True),
                name="result_near_miss_order",
            ),
            # Near misses by their key: "is this change's result a near miss now" for every change of a
            # city (the tier changes' near-miss filter) from the index alone, not from 40,000 rows of
            # the table (1.1 s at a million enterprises); also a city's near misses by enterprise.
            models.Index(
                fields=["enterprise", "fiscal_year", "tier"],
                include=["cluster"],
                condition=Q(near_miss=True),
                name="result_near_miss_key",
            ),
        ]

    def __str__(self) -> str:
        # The page title and breadcrumbs of a result: who, which tier, which year (select the relations).
        return _("%(enterprise)s · %(tier)s · %(year)s 年度") % {
            "enterprise": self.enterprise.name,
            "tier": self.tier.name_zh,
            "year": self.fiscal_year,
        }


class TierChangeQuerySet(RegionScopedQuerySet):
    region_lookup = "enterprise__region"


class TierChange(models.Model):
    """An event: a result's status flipped (gained or lost eligibility), or an eligible result was
    removed because its row is gone (lost, with no new status)."""

    class Change(models.TextChoices):
        GAINED = "gained", _("新符合")
        LOST = "lost", _("不再符合")

    enterprise = models.ForeignKey("tracker.Enterprise", verbose_name=_("企业"), on_delete=models.CASCADE)
    tier = models.ForeignKey("tracker.Tier", verbose_name=_("梯度层级"), on_delete=models.PROTECT)
    fiscal_year = models.PositiveSmallIntegerField(_("评价年度"))
    cluster = models.ForeignKey(
        "tracker.Cluster", verbose_name=_("产业集群"), null=True, blank=True, on_delete=models.CASCADE
    )
    change = models.CharField(_("变化"), max_length=8, choices=Change.choices)
    from_status = models.CharField(_("原结论"), max_length=20, choices=ResultStatus.choices, blank=True)
    to_status = models.CharField(
        _("新结论"),
        max_length=20,
        choices=ResultStatus.choices,
        blank=True,
        help_text=_("为空表示结果已删除：企业不再属于该集群，或该层级已没有生效的认定标准。"),
    )
    run = models.ForeignKey(
        EvaluationRun, verbose_name=_("评价运行"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("发生时间"), auto_now_add=True)

    objects = TierChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("层级变化")
        verbose_name_plural = _("层级变化")
        # The feed is read newest first, ties (one chunk's events share a moment) broken by id: one
        # index in that order serves it and paging through it, backwards or forwards.
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_at", "id"], name="tierchange_feed_order")]


class InputDigest(models.Model):
    """What an enterprise's stored results for a fiscal year were computed from, summed up in one
    number: its facts (the metrics fingerprinted by PostgreSQL), the designations it held, its
    clusters and revenue ranks, and the ruleset chosen for every tier.

    A full-tier recompute on PostgreSQL compares it before loading anything heavy: an enterprise
    whose digest is unchanged keeps its results untouched, so a nightly run with nothing changed
    reads a few bytes per enterprise instead of its metrics rows. Written in the same transaction as
    the results it describes; deleting results must delete these rows too (``results_forget``).
    """

    enterprise = models.ForeignKey(
        "tracker.Enterprise",
        verbose_name=_("企业"),
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    fiscal_year = models.PositiveSmallIntegerField(_("评价年度"))
    digest = models.BigIntegerField(_("输入摘要"))

    class Meta:
        verbose_name = _("输入摘要")
        verbose_name_plural = _("输入摘要")
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "fiscal_year"], name="digest_unique_per_enterprise_year")
        ]

    def __str__(self) -> str:
        return f"{self.enterprise_id} · {self.fiscal_year}"
