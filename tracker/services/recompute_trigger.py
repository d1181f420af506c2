"""Entry point for on-change re-evaluation."""


def enqueue_enterprises(*, enterprise_ids: list[int]) -> None:
    """Start an on-change run for these enterprises (runs in-process when no broker is set)."""
    from tracker.models import EvaluationRun
    from tracker.services.runs import run_start

    run_start(kind=EvaluationRun.Kind.ON_CHANGE, enterprise_ids=enterprise_ids)
