"""The hook every write to facts goes through, so results follow the facts they depend on."""

import threading

from django.db import transaction

_pending = threading.local()


def facts_changed(*, enterprise_ids: list[int]) -> None:
    """Re-evaluate these enterprises once the current transaction commits.

    One admin save can touch an enterprise, its memberships and several years of metrics: the ids
    are pooled so the commit starts one on-change run, not one per row. (Ids left from a rolled-back
    transaction ride along with the next commit; re-evaluating them writes nothing new.)
    """
    ids = {i for i in enterprise_ids if i is not None}
    if not ids:
        return
    _pending.__dict__.setdefault("ids", set()).update(ids)
    transaction.on_commit(_flush)


def _flush() -> None:
    ids = sorted(_pending.__dict__.pop("ids", ()))
    if ids:
        from tracker.services import recompute_trigger

        recompute_trigger.enqueue_enterprises(enterprise_ids=ids)
