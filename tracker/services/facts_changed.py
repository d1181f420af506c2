"""The hook every write to facts goes through, so results follow the facts they depend on."""

import threading

from django.db import transaction

_pending = threading.local()


def facts_changed(*, enterprise_ids: list[int]) -> None:
    """Re-evaluate these enterprises once the current transaction commits.

    One admin save can touch an enterprise, its memberships and several years of metrics: the ids
    are pooled so the commit starts one on-change run, not one per row.
    """
    ids = {i for i in enterprise_ids if i is not None}
    if not ids:
        return
    connection = transaction.get_connection()
    # Django drops the callbacks of a rolled-back transaction; when ours is no longer queued, the
    # pooled ids belong to a transaction that never committed and are discarded.
    queued = any(entry[1] is _flush for entry in connection.run_on_commit)
    if queued and hasattr(_pending, "ids"):
        _pending.ids.update(ids)
    else:
        _pending.ids = set(ids)
        transaction.on_commit(_flush)  # runs at once, with these ids, outside a transaction


def _flush() -> None:
    ids = sorted(_pending.__dict__.pop("ids", ()))  # popped: a later change queues a new flush
    if ids:
        from tracker.services import recompute_trigger

        recompute_trigger.enqueue_enterprises(enterprise_ids=ids)
