"""Tier reports: building a date and scope's report (replacing any earlier one), the nightly set after
the night's full run closes (the province, every city, and each county someone subscribed to), the 07:30
deadline, the subscriptions and the email notices.

A report is built from the frame (tracker/reports/frame.py) and stored as its JSON; the renderers
read that. The nightly build is started by the ledger's ``run_closed`` signal (tracker/apps.py
connects ``on_run_closed``), so the pipeline imports nothing from here (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import logging
import time

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import EvaluationRun, Region, ReportSubscription, TierReport, UserOffice
from tracker.models.scoping import region_ids_within, region_scope
from tracker.observability import metrics
from tracker.pipeline.facts_loader import per_cluster_tiers
from tracker.reports.frame import NoResults, build_frame, report_run
from tracker.reports.gaps import GapReader
from tracker.reports.scope import RegionTable, city_codes, resolve_scope
from tracker.reports.sections import PAGE_ROWS, ReportFrame
from tracker.reports.shared import SharedLists
from tracker.reports.source import load_source

logger = logging.getLogger(__name__)

TREND_LENGTH = 30


def report_region(*, region_code: str | None, user=None) -> Region:
    """The region of a report's scope; a user may name only a region they can see (anything else is
    "unknown", as for any other region outside one's own)."""
    scope = resolve_scope_or_error(region_code)
    region = Region.objects.get(code=scope.region_code)
    if user is not None and not region_scope(user).allows(region.pk):
        raise ValidationError({"region": [_("未知的行政区划代码：%(code)s") % {"code": region_code or "32"}]})
    return region


def resolve_scope_or_error(region_code: str | None):
    try:
        return resolve_scope(region_code)
    except Region.DoesNotExist:
        raise ValidationError({"region": [_("未知的行政区划代码：%(code)s") % {"code": region_code}]}) from None


def previous_report(*, region: Region, report_date: dt.date) -> TierReport | None:
    return TierReport.objects.filter(region=region, report_date__lt=report_date).order_by("-report_date").first()


def report_build(
    *, report_date: dt.date | None = None, region_code: str | None = None, user=None, nightly: bool = False,
    shared: dict | None = None,
) -> TierReport:
    """Build the report of a date and scope and store it, replacing the one of that date and scope.

    Raises ValidationError for a region the user cannot see, and NoResults before any full run."""
    report_date = report_date or timezone.localdate()
    region = report_region(region_code=region_code, user=user)
    started = time.monotonic()
    shared = shared or {}
    before = previous_report(region=region, report_date=report_date)
    previous = ReportFrame.from_json(before.content) if before is not None and before.content else None
    frame = build_frame(report_date=report_date, region=region.code, previous=previous, **shared)
    trend = list(
        TierReport.objects.filter(region=region, report_date__lt=report_date)
        .order_by("-report_date").values_list("report_date", "summary")[: TREND_LENGTH - 1]
    )
    summary = summary_of(frame)
    frame.trend = [(day, dict(s.get("held", {}))) for day, s in reversed(trend)] + [(report_date, summary["held"])]
    seconds = time.monotonic() - started
    with transaction.atomic():
        report, _created = TierReport.objects.update_or_create(
            report_date=report_date,
            region=region,
            defaults={
                "run_id": frame.run_id, "data_date": frame.data_date, "stale": frame.stale,
                "stale_reason": frame.stale_reason[:300], "nightly": nightly, "content": frame.to_json(),
                "head": frame.head(PAGE_ROWS).to_json(), "summary": summary, "built_at": timezone.now(),
                "build_seconds": round(seconds, 3),
                "built_by": user if getattr(user, "is_authenticated", False) else None,
            },
        )
    metrics.report_build_seconds.labels(scope=frame.scope.level).observe(seconds)
    logger.info(
        "report %s %s built in %.1f s", region.code, report_date, seconds,
        extra={"report_id": report.pk, "region": region.code, "stale": frame.stale, "seconds": round(seconds, 3)},
    )
    return report


def summary_of(frame: ReportFrame) -> dict:
    """Each tier's total row (held, eligible …) and the changes: what the trend and the email read."""
    totals = {row.tier_code: row.measures.counts for row in frame.overview_regions if row.is_total}
    deltas = {row.tier_code: row.measures.deltas for row in frame.overview_regions if row.is_total}
    gained = sum(1 for c in frame.changes if c.change == "gained")
    lost = len(frame.changes) - gained
    return {
        "held": {tier: counts["held"] for tier, counts in totals.items()},
        "totals": totals,
        "deltas": deltas,
        "changes": {"gained": gained, "lost": lost, "truncated": frame.truncated.get("changes", 0)},
    }


def reports_build_nightly(*, run_id: int | None, report_date: dt.date | None = None) -> list[TierReport]:
    """The province's, every city's and each subscribed county's report of the night of ``run_id`` (or
    of ``report_date``, when the deadline passed without a completed run), sharing one aggregation and
    one reading of each list (tracker/reports/shared.py); then the notices."""
    run = EvaluationRun.objects.filter(pk=run_id).first() if run_id else None
    report_date = report_date or (run.as_of if run else timezone.localdate())
    run_info = report_run(report_date)
    if run_info[0] is None:
        logger.warning("no report for %s: %s", report_date, run_info[2])
        return []
    table = RegionTable.load()
    province = Region.objects.get(code="320000")
    before = previous_report(region=province, report_date=report_date)
    source = load_source(data_date=run_info[0].as_of, previous_data_date=before.data_date if before else None)
    gap_reader = GapReader(as_of=run_info[0].as_of, fiscal_year=run_info[0].fiscal_year,
                           per_cluster=per_cluster_tiers())
    codes = [None, *city_codes(), *subscribed_counties()]
    lists = SharedLists(scopes=[resolve_scope(code, table) for code in codes], table=table, gap_reader=gap_reader)
    shared = {"source": source, "table": table, "run_info": run_info, "gap_reader": gap_reader,
              "shared_lists": lists}
    reports = []
    for code in codes:
        try:
            reports.append(report_build(report_date=report_date, region_code=code, nightly=True, shared=shared))
        except NoResults:
            break
    ids = [r.pk for r in reports]
    if ids:
        from tracker.tasks import report_notices_task

        transaction.on_commit(lambda: report_notices_task.delay(ids))
    return reports


def reports_deadline(*, today: dt.date | None = None) -> list[TierReport]:
    """At the deadline (TIDU_REPORT_DEADLINE): if tonight's reports do not exist yet — the run failed
    without closing, or is late — build them from the previous run's results, marked stale. The
    run's completion rebuilds them, replacing these."""
    today = today or timezone.localdate()
    if TierReport.objects.filter(report_date=today, nightly=True).exists():
        return []
    return reports_build_nightly(run_id=None, report_date=today)


def on_run_closed(sender, run: EvaluationRun, **kwargs) -> None:
    """The ledger closed a run: after a full nightly run (succeeded or failed), build the reports."""
    if run.kind != EvaluationRun.Kind.NIGHTLY or not run.is_full:
        return
    from tracker.tasks import reports_nightly_task

    transaction.on_commit(lambda: reports_nightly_task.delay(run.pk))


MANAGE_SUBSCRIPTIONS = "tracker.change_reportsubscription"


def subscription_region_check(*, user, region_code: str | None = None, by=None) -> Region:
    """The region of a subscription of ``user`` (their office's when not named), checked: a current
    province, city or county, within what ``user`` may see (the mail carries the report) and what ``by``
    may see; ``by`` other than ``user`` must hold ``MANAGE_SUBSCRIPTIONS`` (the province administrator)."""
    by = by or user
    if by.pk != user.pk and not by.has_perm(MANAGE_SUBSCRIPTIONS):
        raise PermissionDenied(_("您不能管理其他用户的报告订阅。"))
    if region_code:
        region = Region.objects.current().filter(code=resolve_scope_or_error(region_code).region_code).first()
    else:
        office = UserOffice.objects.filter(user=user).select_related("region").first()
        region = office.region if office else Region.objects.filter(code="320000").first() if user.is_superuser \
            else None
        if region is None:
            raise ValidationError({"region": [_("该用户没有所属地区，请指定报告范围。")]})
    unknown = ValidationError({"region": [_("未知的行政区划代码：%(code)s") % {"code": region_code or ""}]})
    if region is None or not region_scope(by).allows(region.pk):
        raise unknown
    if not region_scope(user).allows(region.pk):
        raise ValidationError({"region": [
            _("%(user)s 的所属地区不包括%(region)s，不能接收该范围的报告。") % {"user": user, "region": region.name}
        ]})
    return region


def report_subscribe(*, user, region_code: str | None = None, enabled: bool = True, by=None) -> ReportSubscription:
    """Subscribe ``user`` to the nightly report of a scope (their office's region when not named), or
    pause the subscription (``enabled=False``). ``by``: who does it, the user themselves by default."""
    region = subscription_region_check(user=user, region_code=region_code, by=by)
    subscription, _created = ReportSubscription.objects.update_or_create(
        user=user, region=region, defaults={"enabled": enabled}
    )
    return subscription


def report_unsubscribe(*, user, region_code: str, by=None) -> int:
    """End ``user``'s subscription to a scope's report; the number removed (0 when there was none)."""
    by = by or user
    if by.pk != user.pk and not by.has_perm(MANAGE_SUBSCRIPTIONS):
        raise PermissionDenied(_("您不能管理其他用户的报告订阅。"))
    scope = resolve_scope_or_error(region_code)
    mine = ReportSubscription.objects.filter(user=user, region__code=scope.region_code)
    if by.pk != user.pk:
        mine = mine.visible_to(by)
    deleted, _counts = mine.delete()
    return deleted


def subscribed_counties() -> list[str]:
    """The counties someone receives the nightly report of: the night builds theirs too."""
    return list(
        ReportSubscription.objects.active().filter(region__level=Region.Level.COUNTY, region__retired_in__isnull=True)
        .order_by("region__code").values_list("region__code", flat=True).distinct()
    )


def report_notices_send(*, report_ids: list[int]) -> int:
    """Email each active subscription the report of its scope, if the subscriber may still see that scope
    (their office may have changed since they subscribed). Returns the number of messages sent."""
    reports = {r.region_id: r for r in TierReport.objects.select_related("region").filter(pk__in=report_ids)}
    subscriptions = list(
        ReportSubscription.objects.active().filter(region_id__in=list(reports)).select_related("user")
        .order_by("region__code", "user_id")
    )
    offices = dict(UserOffice.objects.filter(user_id__in={s.user_id for s in subscriptions})
                   .values_list("user_id", "region__code"))
    within: dict[str, frozenset[int]] = {}  # an office's code → the regions it sees (a few offices)
    messages = []
    for subscription in subscriptions:
        user = subscription.user
        if not user.is_superuser:
            office = offices.get(user.pk)
            if office is None:
                continue
            if office not in within:
                within[office] = region_ids_within(office)
            if subscription.region_id not in within[office]:
                continue
        messages.append((*notice_text(reports[subscription.region_id]), settings.DEFAULT_FROM_EMAIL, [user.email]))
    return send_mass_mail(messages, fail_silently=False) if messages else 0


def report_link(report: TierReport) -> str:
    try:
        path = reverse("admin:tracker_tierreport_change", args=[report.pk])
    except NoReverseMatch:
        path = f"/admin/tracker/tierreport/{report.pk}/change/"
    return settings.TIDU["SITE_URL"].rstrip("/") + path


def notice_text(report: TierReport) -> tuple[str, str]:
    """(subject, body) of a report's notice: the overview's totals and a link."""
    frame_tiers = report.content.get("tiers", [])
    summary = report.summary or {}
    subject = _("【梯度培育】%(scope)s %(date)s 梯度报告") % {"scope": report.region.name, "date": report.report_date}
    lines = [subject, ""]
    if report.stale:
        lines += [_("注意：%(reason)s") % {"reason": report.stale_reason}, ""]
    lines.append(_("数据日期：%(date)s") % {"date": report.data_date})
    labels = [("held", _("持有称号")), ("eligible", _("当前符合")), ("candidates", _("符合未认定")),
              ("at_risk", _("认定但不符合")), ("near_miss", _("接近达标")), ("insufficient", _("待补数据"))]
    for code, name in frame_tiers:
        counts = summary.get("totals", {}).get(code)
        if not counts:
            continue
        deltas = summary.get("deltas", {}).get(code) or {}
        cells = []
        for key, label in labels:
            delta = deltas.get(key)
            change = "" if delta in (None, 0) else f"（{delta:+d}）"
            cells.append(f"{label} {counts.get(key, 0):,}{change}")
        lines.append(f"{name}：" + "，".join(cells))
    changes = summary.get("changes", {})
    lines += ["", _("自上次报告以来：新增 %(gained)s 项，失去 %(lost)s 项。") % {
        "gained": changes.get("gained", 0), "lost": changes.get("lost", 0)}]
    lines += ["", _("查看完整报告：%(link)s") % {"link": report_link(report)}]
    return subject, "\n".join(lines)
