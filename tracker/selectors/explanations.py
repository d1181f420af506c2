"""An explanation as its reader may see it.

An explanation (tracker/rules/explain.py) carries the enterprise's facts: each criterion's value,
the inputs a derived value was computed from, the gap to the threshold. A reader who may not read
annual metrics (``tracker.view_annualmetrics``) gets the same tree without them: outcomes, points and
thresholds stay, values and gaps go. Chain-leader explanations carry the enterprise's rank in its
cluster, never another member's revenue, so nothing else needs hiding.
"""

from __future__ import annotations

METRICS_PERMISSION = "tracker.view_annualmetrics"
# Keys that carry or reveal a fact's value, wherever they appear in the tree or the gaps.
FACT_KEYS = frozenset({"value", "inputs", "gap", "relative_change", "shortfall"})


def may_read_facts(user) -> bool:
    return bool(user and user.has_perm(METRICS_PERMISSION))


def explanation_for(user, explanation: dict | None) -> dict | None:
    """``explanation`` as it is for a reader of metrics, otherwise without the facts' values; either way
    ``facts_redacted`` says which."""
    if explanation is None:
        return None
    if may_read_facts(user):
        return {**explanation, "facts_redacted": False}
    return redact_facts(explanation)


def redact_facts(explanation: dict) -> dict:
    """A copy with every fact value, input and gap removed from the nodes and gaps; the summary (status,
    score, failing count, the result's normalised shortfall) stays, as on the result itself."""
    redacted = {key: value for key, value in explanation.items() if key not in ("nodes", "gaps")}
    redacted["nodes"] = [_strip(node) for node in explanation.get("nodes", [])]
    redacted["gaps"] = _strip(explanation.get("gaps", {}))
    redacted["facts_redacted"] = True
    return redacted


def _strip(value):
    if isinstance(value, dict):
        return {key: _strip(item) for key, item in value.items() if key not in FACT_KEYS}
    if isinstance(value, list):
        return [_strip(item) for item in value]
    return value
