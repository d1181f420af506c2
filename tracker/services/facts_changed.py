"""The hook every write to facts goes through, so results follow the facts they depend on."""

from django.db import transaction


def facts_changed(*, enterprise_ids: list[int]) -> None:
    """Re-evaluate these enterprises once the current transaction commits.

    Wired to the recompute pipeline; runs in-process when no broker is configured.
    """
    ids = sorted(set(enterprise_ids))
    if not ids:
        return
    from tracker.services import recompute_trigger

    transaction.on_commit(lambda: recompute_trigger.enqueue_enterprises(enterprise_ids=ids))
