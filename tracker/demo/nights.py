"""Two nights of the demo: last night's run, a day of edits, tonight's run — so the change feed
(TierChange) and a report's "since yesterday" column have something to show.

The edits go through the write services like any bureau's: a few near misses of 专精特新 are granted the
创新型 title they lacked, a few file corrected figures (R&D, main business, platform score, market
position), and gain 专精特新; a few holders report a year of low R&D and lose it (and 小巨人 with it);
one 创新型 title is revoked, which takes 专精特新 with it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q

from tracker.models import AnnualMetrics, Designation, EligibilityResult, Enterprise, EvaluationRun, Tier, TierChange
from tracker.selectors.results import failing_criteria
from tracker.services.designations import designation_create, designation_update, validity_end
from tracker.services.metrics import metrics_update
from tracker.services.runs import run_start, run_sync

TIER = "specialized_sme"
# Criteria a near miss can fix with corrected figures of the year (what _meet_the_bar sets).
FIGURES = {"rd_ratio_min_2y", "rd_expense_min_2y", "main_business_share", "platform_score", "market_position"}


def demo_nights(*, today: dt.date, enterprises: int) -> dict[str, EvaluationRun]:
    """Run the nightly recompute for yesterday, edit a few enterprises, run it for today."""
    yesterday = _nightly(today - dt.timedelta(days=1))
    overnight_edits(as_of=today, count=max(3, min(50, enterprises // 400)))
    return {"yesterday": yesterday, "today": _nightly(today)}


def _nightly(as_of: dt.date) -> EvaluationRun:
    return run_sync(run=run_start(kind=EvaluationRun.Kind.NIGHTLY, as_of=as_of, dispatch=False))


def overnight_edits(*, as_of: dt.date, count: int) -> dict[str, int]:
    """A day of edits: ``count`` near misses reach the bar (half are granted the 创新型 title they
    lacked, half file corrected figures), ``count`` eligible 专精特新 holders file a year of low R&D,
    and one holder's 创新型 title is revoked. Returns how many of each were edited."""
    current = EligibilityResult.objects.current().filter(tier_id=TIER)
    near = list(current.filter(near_miss=True).order_by("shortfall", "enterprise_id")[: count * 40])
    near = [r for r in near if not any(r.unknown_nodes or b"")]  # nothing unknown: fixing the gap is enough
    lacking = {pk: {c["id"] for c in criteria} for pk, criteria in failing_criteria(near).items()}
    title = [r.enterprise_id for r in near if lacking[r.pk] == {"prerequisite_innovative"}][: (count + 1) // 2]
    figures = [r.enterprise_id for r in near if lacking[r.pk] and lacking[r.pk] <= FIGURES][: count // 2]
    holders = Designation.objects.held_on(as_of).filter(tier_id=TIER).values("enterprise_id")
    eligible = list(
        current.filter(status="eligible", enterprise_id__in=holders)
        .order_by("enterprise_id")
        .values_list("enterprise_id", flat=True)[: count + 1]
    )
    revoke_from, lowered = eligible[:1], eligible[1:]
    latest = AnnualMetrics.objects.filter(
        enterprise_id__in=figures + lowered, fiscal_year=EvaluationRun.objects.current_fiscal_year()
    ).select_related("enterprise")
    revoked = Designation.objects.held_on(as_of).filter(tier_id="innovative_sme", enterprise_id__in=revoke_from)
    with transaction.atomic():
        _record_creation([*latest, *revoked])
        for enterprise in Enterprise.objects.filter(pk__in=title):
            designation_create(
                enterprise=enterprise,
                tier_id="innovative_sme",
                status="active",
                recognized_on=as_of,
                valid_until=validity_end(Tier.objects.get(code="innovative_sme"), as_of),
                batch=f"{as_of.year}年第二批",
                document_no=f"苏工信中小〔{as_of.year}〕288号",
            )
        for metrics in latest:
            (_meet_the_bar if metrics.enterprise_id in figures else _low_rd_year)(metrics)
        for designation in revoked:
            designation_update(designation=designation, status="revoked", reason="演示：称号撤销")
    return {"granted": len(title), "raised": len(figures), "lowered": len(lowered), "revoked": len(revoke_from)}


def _record_creation(rows: list) -> None:
    """The demo writes its rows around the history (COPY); an import would have recorded each row's
    creation. Recorded here, dated when the row was written, for the rows edited overnight: so what a
    row was before the edit is known (the report's 变化 shows it, tracker/reports/past_facts.py)."""
    by_model: dict = {}
    for row in rows:
        row._history_date = row.updated_at
        by_model.setdefault(type(row), []).append(row)
    for model, objs in by_model.items():
        model.history.bulk_history_create(objs, default_change_reason="演示数据生成")


def _meet_the_bar(metrics: AnnualMetrics) -> None:
    """Corrected figures for the year: what a near miss usually lacks, set to a value over the bar."""
    revenue = metrics.revenue or Decimal(0)
    metrics_update(
        metrics=metrics,
        rd_expense=max(metrics.rd_expense or Decimal(0), (revenue * Decimal("0.05")).quantize(Decimal("1"))),
        main_business_revenue=max(
            metrics.main_business_revenue or Decimal(0), (revenue * Decimal("0.93")).quantize(Decimal("1"))
        ),
        platform_score=max(metrics.platform_score or Decimal(0), Decimal("70.00")),
        market_position_leading=True,
    )


def _low_rd_year(metrics: AnnualMetrics) -> None:
    revenue = metrics.revenue or Decimal(0)
    metrics_update(metrics=metrics, rd_expense=(revenue * Decimal("0.012")).quantize(Decimal("1")))


def tier_counts(*, as_of: dt.date) -> list[dict]:
    """Per tier: titles held on ``as_of``, current results by status, near misses, and the changes of
    the last run — what `manage.py demo` prints."""
    held = dict(
        Designation.objects.held_on(as_of)
        .order_by()
        .values_list("tier_id")
        .annotate(n=Count("enterprise", distinct=True))
    )
    results = (
        EligibilityResult.objects.current()
        .order_by()
        .values("tier_id")
        .annotate(
            eligible=Count("id", filter=Q(status="eligible")),
            not_eligible=Count("id", filter=Q(status="not_eligible")),
            near_miss=Count("id", filter=Q(near_miss=True)),
            insufficient=Count("id", filter=Q(status="insufficient_data")),
        )
    )
    changes = {
        (row["tier_id"], row["change"]): row["n"]
        for row in TierChange.objects.order_by().values("tier_id", "change").annotate(n=Count("id"))
    }
    return [
        {
            "tier": row["tier_id"],
            "held": held.get(row["tier_id"], 0),
            **{key: row[key] for key in ("eligible", "not_eligible", "near_miss", "insufficient")},
            "gained": changes.get((row["tier_id"], "gained"), 0),
            "lost": changes.get((row["tier_id"], "lost"), 0),
        }
        for row in sorted(results, key=lambda r: r["tier_id"])
    ]
