"""Designation batches (认定批次): candidates, 公示, objections, publishing, and 复核.

Every step runs in one transaction, checks the batch's status first, moves designations only along
their lifecycle (``designation_transition_check``), writes history rows naming the user, and pools the
re-evaluation of the enterprises it touched (``facts_changed``).

A batch is the province's: creating and editing it, 公示, objections, publishing, withdrawing and 复核
need ``tracker.publish_designation``. A city or county adds candidates of its own region and sees the
candidates, reviews and objections of its region only (the read layer's ``visible_to``).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tracker.models import BatchReview, Designation, DesignationBatch, Enterprise, Objection
from tracker.models.designations import DesignationStatus
from tracker.models.evaluation import ResultStatus
from tracker.selectors.results import current_statuses
from tracker.services.common import StaleVersion, enterprise_write_check, save_validated
from tracker.services.designations import (
    Holding,
    designation_transition_check,
    holding_overlaps,
    may_publish,
    validity_end,
)
from tracker.services.facts_changed import facts_changed

Status = DesignationBatch.Status
OPEN = (Status.DRAFT, Status.PUBLICIZING)


def batch_step_check(*, user) -> None:
    """Refuse a step that is the province's (everything but adding candidates) to a user without
    ``tracker.publish_designation``."""
    if not may_publish(user):
        raise ValidationError(
            _("认定批次的创建、公示、异议处理、发布、撤回和复核由省级主管部门办理，您只能添加本地区的候选企业。")
        )


def _require(
    batch: DesignationBatch, *statuses, kind: str | None = None, expected_version: int | None = None
) -> DesignationBatch:
    """The batch as stored now, locked; refused when its status (or kind) does not allow the step, or
    when the writer's ``expected_version`` (If-Match, the admin form's) is not the stored one — checked
    first: a step based on a stale read is stale whatever the status has become."""
    current = DesignationBatch.objects.select_for_update().select_related("tier").get(pk=batch.pk)
    if expected_version is not None and current.version != expected_version:
        raise StaleVersion(current=current, expected=expected_version)
    if current.status not in statuses:
        raise ValidationError(_("批次状态为“%(status)s”，不能进行此操作。") % {"status": current.get_status_display()})
    if kind and current.kind != kind:
        raise ValidationError(_("此操作只适用于“%(kind)s”批次。") % {"kind": DesignationBatch.Kind(kind).label})
    return current


def _move(designations: list[Designation], *, user, reason: str, **fields) -> None:
    """Set fields on designations (status changes checked against the lifecycle), with history."""
    if not designations:
        return
    for designation in designations:
        if "status" in fields:
            designation_transition_check(designation.status, fields["status"])
        for name, value in fields.items():
            setattr(designation, name, value(designation) if callable(value) else value)
        designation.updated_at = timezone.now()
        designation.version += 1  # the rows are locked by the caller (models/versioning.py)
    bulk_update_with_history(
        designations,
        Designation,
        [*fields, "version", "updated_at"],
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=reason,
    )
    facts_changed(enterprise_ids=[d.enterprise_id for d in designations])


@transaction.atomic
def batch_create(*, user=None, **fields) -> DesignationBatch:
    batch_step_check(user=user)
    batch = DesignationBatch(created_by=user if getattr(user, "is_authenticated", False) else None, **fields)
    return save_validated(batch, user=user)


@transaction.atomic
def batch_update(
    *, batch: DesignationBatch, user=None, expected_version: int | None = None, **fields
) -> DesignationBatch:
    """Edit a batch's name, 文号, 公示 dates and contact while it is open (type and tier are fixed). A
    stale ``expected_version`` is refused (StaleVersion), as by 公示, 发布 and 撤回."""
    batch_step_check(user=user)
    batch = _require(batch, *OPEN, expected_version=expected_version)
    for locked in ("kind", "tier"):
        fields.pop(locked, None)
    for name, value in fields.items():
        setattr(batch, name, value)
    return save_validated(batch, user=user)


@transaction.atomic
def batch_candidates_add(*, batch: DesignationBatch, candidates: list[tuple[int, int | None]], user=None) -> dict:
    """Add (enterprise, cluster) pairs as candidates of a draft new-designation batch.

    Only enterprises currently eligible for the tier (their current result), neither holding it nor
    already on their way to it, are added; the others are counted by reason. Every enterprise must be
    in the user's region (a ValidationError naming ``enterprises`` otherwise, as for an unknown id) and
    in the register (an archived one is named in the same way). Returns {"added": n, "skipped": {reason: n}}.
    """
    batch = _require(batch, Status.DRAFT, kind=DesignationBatch.Kind.NEW)
    wanted = list(dict.fromkeys((int(e), int(c) if c else None) for e, c in candidates))
    enterprise_ids = {e for e, _c in wanted}
    found = Enterprise.objects.all() if user is None else Enterprise.objects.visible_to(user)
    archived_by_id = dict(found.filter(pk__in=enterprise_ids).values_list("pk", "archived_at"))
    if user is not None and enterprise_ids - set(archived_by_id):
        missing = "、".join(str(pk) for pk in sorted(enterprise_ids - set(archived_by_id))[:20])
        raise ValidationError({"enterprises": _("企业 %(ids)s 不存在或不在您的管辖范围内。") % {"ids": missing}})
    archived = sorted(pk for pk, archived_at in archived_by_id.items() if archived_at is not None)
    if archived:
        raise ValidationError(
            {
                "enterprises": _("企业 %(ids)s 已归档（不在册），不能加入认定批次；如确需加入，请先恢复该企业。")
                % {"ids": "、".join(str(pk) for pk in archived[:20])}
            }
        )
    results = current_statuses(tier_id=batch.tier_id, pairs=wanted)
    taken = set(
        Designation.objects.filter(tier_id=batch.tier_id, enterprise_id__in=enterprise_ids)
        .held_or_pending(timezone.localdate())
        .values_list("enterprise_id", "cluster_id")
    )
    skipped: dict[str, int] = {}
    added = []
    for enterprise_id, cluster_id in wanted:
        if (enterprise_id, cluster_id) in taken:
            reason = _("已认定或已是候选")
        elif results.get((enterprise_id, cluster_id)) != ResultStatus.ELIGIBLE:
            reason = _("当前不符合认定条件")
        else:
            added.append(
                Designation(
                    enterprise_id=enterprise_id,
                    tier_id=batch.tier_id,
                    cluster_id=cluster_id,
                    batch=batch.name,
                    designation_batch=batch,
                    status=DesignationStatus.CANDIDATE,
                )
            )
            continue
        skipped[reason] = skipped.get(reason, 0) + 1
    bulk_create_with_history(
        added,
        Designation,
        default_user=user if getattr(user, "is_authenticated", False) else None,
        default_change_reason=_("加入认定批次：%(batch)s") % {"batch": batch},
    )
    return {"added": len(added), "skipped": skipped}


@transaction.atomic
def batch_candidate_remove(*, batch: DesignationBatch, designation: Designation, user=None) -> None:
    """Take a candidate out of a draft batch (it was never official: the row is deleted, with history)."""
    _require(batch, Status.DRAFT)
    enterprise_write_check(user=user, enterprise=designation.enterprise)
    if designation.designation_batch_id != batch.pk or designation.status != DesignationStatus.CANDIDATE:
        raise ValidationError(_("该企业不是本批次的候选。"))
    designation._history_user = user
    designation.delete()


def _visible(queryset, user):
    """What ``user`` may see of a batch's rows (None: the system, everything)."""
    return queryset if user is None else queryset.visible_to(user)


def batch_candidates(*, batch: DesignationBatch, user=None, limit: int | None = None) -> list[dict]:
    """The batch's candidates that ``user`` may see, with their current eligibility; ``no_longer_eligible``
    flags those whose current result is no longer 符合.

    With ``limit``, at most that many: those no longer eligible first (what staff must act on), then
    the others, each in the order they were added. Only the rows returned are read in full — a batch
    holds thousands of candidates (``batch_candidate_count`` counts them)."""
    visible = _visible(batch.designations.all(), user)
    keys = list(visible.order_by("id").values_list("id", "enterprise_id", "cluster_id", "status"))
    results = current_statuses(tier_id=batch.tier_id, pairs=[(e, c) for _pk, e, c, _s in keys])
    flags = {
        pk: status in (DesignationStatus.CANDIDATE, DesignationStatus.PUBLICIZED)
        and results.get((enterprise_id, cluster_id)) != ResultStatus.ELIGIBLE
        for pk, enterprise_id, cluster_id, status in keys
    }
    shown = [pk for pk, *_rest in keys]
    if limit is not None:
        shown = sorted(shown, key=lambda pk: not flags[pk])[:limit]  # stable: added order within each group
    designations = visible.filter(pk__in=shown).select_related("enterprise__region", "cluster").in_bulk()
    return [
        {
            "designation": designations[pk],
            "result_status": results.get((designations[pk].enterprise_id, designations[pk].cluster_id)),
            "no_longer_eligible": flags[pk],
        }
        for pk in shown
    ]


def batch_candidate_count(*, batch: DesignationBatch, user=None) -> int:
    """How many candidates of the batch ``user`` may see."""
    return _visible(batch.designations.all(), user).count()


def publicity_list(*, batch: DesignationBatch, user=None) -> tuple[list[str], list[list]]:
    """The batch's 公示 list as official lists lay it out: (headers, rows), one row per enterprise that
    ``user`` may see (a city's staff export their own region's part).

    A new-designation batch lists its candidates still in the running (not those revoked after an
    upheld objection); a 复核 batch lists every designation reviewed with its result.
    """
    headers = ["序号", "企业名称", "统一社会信用代码", "设区市", "县（市、区）", "主导产品"]
    if batch.tier.per_cluster:
        headers.append("产业集群")
    if batch.kind == DesignationBatch.Kind.REVIEW:
        headers.append("复核结果")
        entries = [
            (review.designation, review.get_outcome_display())
            for review in _visible(batch.reviews.all(), user)
            .select_related("designation__enterprise__region__parent", "designation__cluster")
            .order_by("designation__enterprise__region__code", "id")
        ]
    else:
        entries = [
            (designation, None)
            for designation in _visible(batch.designations.all(), user)
            .exclude(status=DesignationStatus.REVOKED)
            .select_related("enterprise__region__parent", "cluster")
            .order_by("enterprise__region__code", "id")
        ]
    rows = []
    for number, (designation, outcome) in enumerate(entries, start=1):
        region = designation.enterprise.region
        county = region.level == region.Level.COUNTY
        row = [
            number,
            designation.enterprise.name,
            designation.enterprise.uscc,
            region.parent.name if county and region.parent else region.name,
            region.name if county else "",
            designation.enterprise.main_product,
        ]
        if batch.tier.per_cluster:
            row.append(designation.cluster.name_zh if designation.cluster else "")
        if outcome is not None:
            row.append(outcome)
        rows.append(row)
    return headers, rows


@transaction.atomic
def batch_publicize(
    *,
    batch: DesignationBatch,
    user=None,
    publicity_start: dt.date | None = None,
    publicity_end: dt.date | None = None,
    expected_version: int | None = None,
) -> DesignationBatch:
    """草拟 → 公示中: the candidates (or the review results) go on public notice."""
    batch_step_check(user=user)
    batch = _require(batch, Status.DRAFT, expected_version=expected_version)
    batch.publicity_start = publicity_start or batch.publicity_start
    batch.publicity_end = publicity_end or batch.publicity_end
    if not (batch.publicity_start and batch.publicity_end and batch.objection_contact.strip()):
        raise ValidationError(_("公示前须填写公示起止日期和异议受理方式。"))
    if batch.publicity_end < batch.publicity_start:
        raise ValidationError({"publicity_end": _("公示截止日期不能早于开始日期。")})
    if batch.kind == DesignationBatch.Kind.NEW:
        candidates = list(batch.designations.filter(status=DesignationStatus.CANDIDATE))
        if not candidates:
            raise ValidationError(_("批次中还没有候选企业。"))
        _move(
            candidates, user=user, reason=_("公示：%(batch)s") % {"batch": batch}, status=DesignationStatus.PUBLICIZED
        )
    elif not batch.reviews.exists():
        raise ValidationError(_("复核批次中还没有待复核的认定。"))
    batch.status = Status.PUBLICIZING
    return save_validated(batch, user=user, reason=_("开始公示"))


@transaction.atomic
def objection_record(
    *, batch: DesignationBatch, designation: Designation, received_on: dt.date, objector: str, content: str, user=None
) -> Objection:
    batch_step_check(user=user)
    batch = _require(batch, Status.PUBLICIZING)
    in_batch = designation.designation_batch_id == batch.pk or batch.reviews.filter(designation=designation).exists()
    if not in_batch:
        raise ValidationError(_("异议针对的企业不在本批次中。"))
    objection = Objection(
        batch=batch, designation=designation, received_on=received_on, objector=objector, content=content
    )
    return save_validated(objection, user=user)


@transaction.atomic
def objection_resolve(*, objection: Objection, resolution: str, note: str = "", user=None) -> Objection:
    """An upheld objection against a candidate revokes the candidate; one against a 复核 result fails it."""
    batch_step_check(user=user)
    _require(objection.batch, Status.PUBLICIZING)
    objection.resolution, objection.resolution_note = resolution, note
    save_validated(objection, user=user)
    if resolution == Objection.Resolution.UPHELD:
        designation = objection.designation
        if designation.designation_batch_id == objection.batch_id:
            _move([designation], user=user, reason=_("异议成立"), status=DesignationStatus.REVOKED)
        else:
            BatchReview.objects.filter(batch=objection.batch, designation=designation).update(
                outcome=BatchReview.Outcome.FAILED
            )
    return objection


def _refuse_archived(designations: list[Designation]) -> None:
    """An enterprise archived while its candidacy or 复核 was on notice is out of the register: publishing
    must not make its title official (or renew it) unnoticed. Staff restore the enterprise or take it off
    the list the way the notice provides for: an objection upheld."""
    ids = {d.enterprise_id for d in designations}
    names = list(
        Enterprise.objects.filter(pk__in=ids, archived_at__isnull=False).order_by("name").values_list("name", flat=True)
    )
    if names:
        raise ValidationError(
            _("企业 %(names)s 已归档（不在册），不能发布其认定；请先恢复该企业，或登记异议并予以采纳，将其移出名单。")
            % {"names": "、".join(names[:20])}
        )


@transaction.atomic
def batch_publish(
    *,
    batch: DesignationBatch,
    user=None,
    published_on: dt.date | None = None,
    document_no: str = "",
    expected_version: int | None = None,
) -> DesignationBatch:
    """公示中 → 已发布, all in one transaction: new designations become 有效 with the tier's validity;
    in a 复核 batch, passed designations are renewed (续期) and failed ones revoked (撤销)."""
    batch_step_check(user=user)
    batch = _require(batch, Status.PUBLICIZING, expected_version=expected_version)
    published_on = published_on or timezone.localdate()
    batch.document_no = document_no or batch.document_no
    if not batch.document_no:
        raise ValidationError({"document_no": _("发布须填写文号。")})
    if batch.objections.filter(resolution=Objection.Resolution.PENDING).exists():
        raise ValidationError(_("还有未处理的异议。"))
    end = validity_end(batch.tier, published_on)
    reason = _("发布：%(batch)s %(doc)s") % {"batch": batch, "doc": batch.document_no}
    if batch.kind == DesignationBatch.Kind.NEW:
        publicized = list(batch.designations.filter(status=DesignationStatus.PUBLICIZED))
        _refuse_archived(publicized)
        problems = holding_overlaps(
            [Holding(d.pk, d.enterprise_id, d.tier_id, d.cluster_id, published_on, end, d.pk) for d in publicized]
        )
        if problems:
            names = dict(batch.designations.filter(pk__in=problems).values_list("pk", "enterprise__name"))
            raise ValidationError(
                [_("%(name)s：%(problem)s") % {"name": names[pk], "problem": p} for pk, p in problems.items()]
            )
        _move(
            publicized,
            user=user,
            reason=reason,
            status=DesignationStatus.ACTIVE,
            recognized_on=published_on,
            valid_until=end,
            document_no=batch.document_no,
        )
    else:
        reviews = list(batch.reviews.select_related("designation"))
        if any(r.outcome == BatchReview.Outcome.PENDING for r in reviews):
            raise ValidationError(_("还有未填写复核结果的认定。"))
        passed = [r.designation for r in reviews if r.outcome == BatchReview.Outcome.PASSED]
        failed = [r.designation for r in reviews if r.outcome == BatchReview.Outcome.FAILED]
        _refuse_archived(passed)
        _move(passed, user=user, reason=reason, status=DesignationStatus.RENEWED, valid_until=end)
        _move(failed, user=user, reason=reason, status=DesignationStatus.REVOKED)
    batch.status, batch.published_on = Status.PUBLISHED, published_on
    return save_validated(batch, user=user, reason=_("发布"))


@transaction.atomic
def batch_withdraw(
    *, batch: DesignationBatch, user=None, reason: str = "", expected_version: int | None = None
) -> DesignationBatch:
    """草拟/公示中 → 已撤回: candidates of the batch are revoked (they never became official)."""
    batch_step_check(user=user)
    batch = _require(batch, *OPEN, expected_version=expected_version)
    pending = list(batch.designations.filter(status__in=[DesignationStatus.CANDIDATE, DesignationStatus.PUBLICIZED]))
    _move(pending, user=user, reason=_("批次撤回：%(reason)s") % {"reason": reason}, status=DesignationStatus.REVOKED)
    batch.status = Status.WITHDRAWN
    return save_validated(batch, user=user, reason=reason or _("撤回"))


@transaction.atomic
def batch_reviews_add_due(*, batch: DesignationBatch, user=None, region_prefix: str = "") -> int:
    """List in a draft 复核 batch every designation of its tier that is due (待复核), optionally within a
    region prefix, and not already listed in an open 复核 batch. Returns how many were added."""
    batch_step_check(user=user)
    batch = _require(batch, Status.DRAFT, kind=DesignationBatch.Kind.REVIEW)
    due = Designation.objects.filter(tier_id=batch.tier_id, status=DesignationStatus.REVIEW_DUE)
    if region_prefix:
        due = due.within_region(region_prefix)
    listed = BatchReview.objects.filter(batch__status__in=OPEN).values("designation_id")
    entries = [
        BatchReview(batch=batch, designation_id=pk) for pk in due.exclude(pk__in=listed).values_list("pk", flat=True)
    ]
    bulk_create_with_history(
        entries, BatchReview, default_user=user if getattr(user, "is_authenticated", False) else None
    )
    return len(entries)


@transaction.atomic
def review_record(*, review: BatchReview, outcome: str, note: str = "", user=None) -> BatchReview:
    batch_step_check(user=user)
    _require(review.batch, *OPEN, kind=DesignationBatch.Kind.REVIEW)
    review.outcome, review.note = outcome, note
    return save_validated(review, user=user)
