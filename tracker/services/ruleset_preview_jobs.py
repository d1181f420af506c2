"""A draft's preview as a background job: requested when its criteria are saved (or on demand), computed
by a Celery task, read by the draft's preview page while it progresses and once it is done.

Over every stored enterprise the comparison (``ruleset_preview``) takes longer than a page may
(docs/benchmarks.md, "Ruleset previews"), so a request only writes a ``RulesetPreview`` row and queues
the task; the page reads the row. A preview is of one revision of the draft: the task computes it only
while the draft is still at that revision, and a preview of an older revision is outdated. Activating a
draft takes a finished preview of its current revision (``ruleset_activation_check``).

Without a broker (the embedded demo) the task runs eagerly when the request commits, so the page the
request leads to shows the result at once.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import Ruleset, RulesetPreview
from tracker.services.ruleset_preview import ruleset_preview

logger = logging.getLogger(__name__)
Status = RulesetPreview.Status


def ruleset_preview_request(*, ruleset: Ruleset, user=None) -> RulesetPreview:
    """The preview of the draft's current revision: the one queued or running, or a new one queued
    (after the transaction commits). Raises ValidationError when the ruleset is not a draft."""
    from tracker.tasks import ruleset_preview_task

    with transaction.atomic():
        # On the locked row: two requests for the same revision (a double click, two editors) queue one.
        current = Ruleset.objects.select_for_update(of=("self",)).get(pk=ruleset.pk)
        if current.status != Ruleset.Status.DRAFT:
            raise ValidationError(_("只有草稿才能预览与现行标准的差异。"), code="not_draft")
        now = timezone.now()
        open_previews = RulesetPreview.objects.filter(
            ruleset=current, revision=current.revision, status__in=RulesetPreview.OPEN
        )
        for open_ in open_previews:
            if preview_alive(open_, now=now):
                return open_
            _failed(open_, _("计算已中断（长时间没有进展），已重新排队。"))
        preview = RulesetPreview.objects.create(
            ruleset=current,
            revision=current.revision,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
        )
        transaction.on_commit(lambda: ruleset_preview_task.delay(preview.pk))
    return preview


def preview_alive(preview: RulesetPreview, *, now: dt.datetime | None = None) -> bool:
    """Whether an open preview can still finish. A running task reports after every id range, and
    Celery kills one that runs past CELERY_TASK_TIME_LIMIT, so silence for that long means it died; a
    message not started within the broker's visibility timeout was lost with its worker."""
    now = now or timezone.now()
    if preview.status == Status.RUNNING:
        return now - (preview.heartbeat_at or preview.requested_at) < _task_time_limit()
    if preview.status == Status.QUEUED:
        return now - preview.requested_at < _visibility_timeout()
    return False


def ruleset_preview_compute(*, preview_id: int) -> RulesetPreview | None:
    """Compute a queued preview (the task). None when another worker has it or it is no longer open.

    Never raises for a failure of the comparison: the page says what went wrong (an invalid definition
    is named by node and path, as on save), and an eager run inside a request does not fail the request.
    """
    now = timezone.now()
    # Claim it: the queued preview, or a running one whose worker died (the message was redelivered).
    claimable = Q(status=Status.QUEUED) | Q(status=Status.RUNNING, heartbeat_at__lt=now - _task_time_limit())
    claimed = RulesetPreview.objects.filter(claimable, pk=preview_id).update(
        status=Status.RUNNING, started_at=now, heartbeat_at=now, done=0, total=0
    )
    if not claimed:
        return None
    preview = RulesetPreview.objects.select_related("ruleset__tier", "ruleset__jurisdiction").get(pk=preview_id)
    ruleset = preview.ruleset
    if ruleset.status != Ruleset.Status.DRAFT or ruleset.revision != preview.revision:
        # Saved again (or activated) since it was requested: what it would compute is not that revision.
        return _failed(preview, _superseded_message(ruleset.revision, preview.revision))

    def progress(done: int, total: int) -> None:
        RulesetPreview.objects.filter(pk=preview_id).update(done=done, total=total, heartbeat_at=timezone.now())
        # Saved again meanwhile: the new revision has a preview of its own; free the worker for it.
        current = Ruleset.objects.filter(pk=ruleset.pk).values_list("revision", "status").first()
        if current != (preview.revision, Ruleset.Status.DRAFT):
            raise Superseded(current[0] if current else preview.revision)

    try:
        result = ruleset_preview(draft=ruleset, progress=progress)
    except Superseded as moved:
        return _failed(preview, _superseded_message(moved.revision, preview.revision))
    except ValidationError as error:  # the engine rejects the definition: named by node and path
        return _failed(preview, "；".join(error.messages))
    except Exception as error:
        logger.exception("ruleset preview %s failed", preview_id)
        return _failed(preview, _("预览计算失败：%(error)s") % {"error": error})
    result["as_of"] = result["as_of"].isoformat()
    preview.status, preview.result, preview.finished_at = Status.DONE, result, timezone.now()
    preview.save(update_fields=["status", "result", "finished_at"])
    return preview


def ruleset_activation_check(*, ruleset: Ruleset) -> None:
    """Refuse to activate a draft whose current revision has no finished preview: the province
    administrator decides having seen what the criteria, as they are now, would change."""
    if ruleset.pk is None:
        raise ValidationError(
            _("新的认定标准须先保存为草稿，预览与现行标准的差异后再使之生效。"), code="preview_missing"
        )
    done = RulesetPreview.objects.filter(ruleset_id=ruleset.pk, revision=ruleset.revision, status=Status.DONE)
    if not done.exists():
        raise ValidationError(
            _("生效前须先完成本草稿当前修订（第 %(revision)s 次）与现行标准的差异预览，并确认其结果。")
            % {"revision": ruleset.revision},
            code="preview_missing",
        )


class Superseded(Exception):
    """The draft was saved again (or activated) while its preview was being computed."""

    def __init__(self, revision: int):
        super().__init__(revision)
        self.revision = revision


def _superseded_message(current: int, revision: int) -> str:
    return _("认定标准已再次修改（当前为第 %(current)s 次修订），未计算第 %(revision)s 次修订的预览。") % {
        "current": current,
        "revision": revision,
    }


def _failed(preview: RulesetPreview, message: str) -> RulesetPreview:
    preview.status, preview.error, preview.finished_at = Status.FAILED, message, timezone.now()
    preview.save(update_fields=["status", "error", "finished_at"])
    return preview


def _task_time_limit() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def _visibility_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
