"""Live eligibility: evaluate one enterprise (stored or hypothetical) and explain every tier.

Read-only: nothing here writes. The what-if API, the live endpoint and the explanation of a
stored result all go through `evaluate_record`, the same engine path the recompute uses.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tracker import rules
from tracker.models import Designation, EligibilityResult, Enterprise, Tier
from tracker.models.metrics import METRIC_FIELDS
from tracker.pipeline.counted_ranks import revenue_rank
from tracker.pipeline.facts_loader import YEARS_BACK, per_cluster_tiers
from tracker.rules.definition import tier_references
from tracker.selectors.rulesets import RulesetCatalog, engine_parameters, engine_ruleset, near_miss_rule

ATTRIBUTES = ("founded_on", "listed", "listed_on", "sector", "niche_since", "vc_backed", "group_has_little_giant")


def enterprise_record(*, enterprise: Enterprise, as_of: dt.date, cluster_id: int | None = None) -> dict:
    """The stored facts of one enterprise in the engine's record form (a few queries). Designations
    map each title held on ``as_of`` to the day it was granted; titles of per-cluster tiers count only
    for ``cluster_id`` (the row of a per-cluster result)."""
    fiscal_year = as_of.year - 1
    metrics = list(
        enterprise.metrics.filter(fiscal_year__gte=fiscal_year - YEARS_BACK, fiscal_year__lte=fiscal_year).values(
            "fiscal_year", *METRIC_FIELDS
        )
    )
    for row in metrics:
        for name, value in row.items():
            if hasattr(value, "as_tuple"):  # Decimal → float for the engine
                row[name] = float(value)
    per_cluster = per_cluster_tiers()
    titles = Designation.objects.filter(enterprise=enterprise).held_titles(as_of)
    held = {
        tier: granted_on
        for tier, cluster, granted_on in titles.values_list("tier_id", "cluster_id", "granted_on")
        if tier not in per_cluster or cluster == cluster_id
    }
    return {
        "attributes": {name: getattr(enterprise, name) for name in ATTRIBUTES},
        "metrics": metrics,
        "designations": {tier: granted_on.isoformat() for tier, granted_on in sorted(held.items())},
    }


def _held(record: dict) -> dict[str, dt.date | None]:
    """Tier → grant date of the titles a record holds (None where the date is not given)."""
    held = record.get("designations") or {}
    if not isinstance(held, dict):
        return dict.fromkeys(held)
    return {tier: None if day is None else dt.date.fromisoformat(str(day)[:10]) for tier, day in held.items()}


def evaluate_record(
    *,
    record: dict,
    as_of: dt.date,
    mode: str = "auto",
    tiers: list[str] | None = None,
    region_code: str | None = None,
    overrides: dict[str, dict] | None = None,
    catalog: RulesetCatalog | None = None,
) -> list[dict]:
    """Evaluate one enterprise's facts for every tier and return each tier's full explanation.

    ``mode`` is ``new``, ``review`` or ``auto`` (review for tiers the enterprise holds, new otherwise);
    a re-review follows the rules of the held title's grant date. ``overrides`` maps a tier to a draft
    definition evaluated instead of the ruleset in force. Each explanation says which standard was
    applied (``applied``: mode and grant date). Raises ValidationError naming the field (facts) or
    the node (definitions).
    """
    catalog = catalog or RulesetCatalog.active()
    try:
        facts = rules.FactTable.from_records([record])
    except rules.FactError as exc:
        raise ValidationError({exc.field: [exc.message]}) from None
    held = _held(record)
    chosen: dict[str, rules.Ruleset] = {}
    applied: dict[str, dict] = {}
    for tier in tiers or catalog.tiers():
        tier_mode = mode if mode != "auto" else ("review" if tier in held else "new")
        applied[tier] = {"mode": tier_mode, "granted_on": _iso(held.get(tier)) if tier_mode == "review" else None}
        if overrides and tier in overrides:
            chosen[tier] = _draft(tier, overrides[tier], as_of)
            continue
        pk = catalog.select(
            tier=tier, as_of=as_of, mode=tier_mode, region_code=region_code, granted_on=held.get(tier)
        )
        if pk is not None:
            chosen[tier] = catalog.engine[pk]
    for tier, definition in (overrides or {}).items():
        if tier not in chosen:
            chosen[tier] = _draft(tier, definition, as_of)
            applied.setdefault(tier, {"mode": mode if mode != "auto" else "new", "granted_on": None})
    try:
        rules.validate_rulesets(chosen.values())
    except rules.DefinitionError as exc:
        raise ValidationError({"rulesets": [str(exc)]}) from None
    outcomes = rules.evaluate(chosen, facts, as_of=as_of, parameters=explain_parameters(), near_miss=near_miss_rule())
    return [{**outcomes[tier].explain(0), "applied": applied[tier]} for tier in chosen]


def explain_parameters() -> dict:
    """The engine's parameters plus the tier names its gap notes use ("先取得…称号")."""
    names = {code: {"zh": zh, "en": en} for code, zh, en in Tier.objects.values_list("code", "name_zh", "name_en")}
    return {**engine_parameters(), "tier_names": names}


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _draft(tier: str, definition: dict, as_of: dt.date) -> rules.Ruleset:
    try:
        return rules.Ruleset(
            tier=tier, version="draft", effective_from=as_of, status="active", definition=definition
        )
    except rules.DefinitionError as exc:
        raise ValidationError({"rulesets": [_("%(tier)s：%(error)s") % {"tier": tier, "error": exc}]}) from None


def enterprise_eligibility(*, enterprise: Enterprise, as_of: dt.date, mode: str = "auto") -> list[dict]:
    """Evaluate a stored enterprise live (every tier but the per-cluster ones, which come from results)."""
    catalog = RulesetCatalog.active()
    per_cluster = per_cluster_tiers()
    tiers = [t for t in catalog.tiers() if t not in per_cluster]
    return evaluate_record(
        record=enterprise_record(enterprise=enterprise, as_of=as_of),
        as_of=as_of,
        mode=mode,
        tiers=tiers,
        region_code=enterprise.region.code,
        catalog=catalog,
    )


def result_explanation(*, result: EligibilityResult) -> dict | None:
    """Rebuild the full explanation of a stored result from the stored facts and its ruleset version."""
    as_of = result.run.as_of if result.run_id else dt.date(result.fiscal_year + 1, 12, 31)
    record = enterprise_record(enterprise=result.enterprise, as_of=as_of, cluster_id=result.cluster_id)
    ruleset = engine_ruleset(result.ruleset)
    if result.cluster_id:
        revenue = next((m.get("revenue") for m in record["metrics"] if m["fiscal_year"] == result.fiscal_year), None)
        record["attributes"]["cluster_group"] = result.cluster.group
        record["attributes"]["revenue_rank_in_cluster"] = revenue_rank(
            fiscal_year=result.fiscal_year, cluster_id=result.cluster_id, revenue=revenue
        )
    facts = rules.FactTable.from_records([record])
    held = _held(record)
    # Tiers this ruleset depends on are evaluated alongside it, as in the recompute.
    catalog = RulesetCatalog.active()
    rulesets = {result.tier_id: ruleset}
    for dep in {ref.tier for ref in tier_references(ruleset.root)}:
        pk = catalog.select(
            tier=dep,
            as_of=as_of,
            mode="review" if dep in held else "new",
            region_code=result.enterprise.region.code,
            granted_on=held.get(dep),
        )
        if pk is not None:
            rulesets.setdefault(dep, catalog.engine[pk])
    outcome = rules.evaluate(
        rulesets,
        facts,
        as_of=as_of,
        fiscal_year=result.fiscal_year,
        parameters=explain_parameters(),
        near_miss=near_miss_rule(),
    )
    reviewed = result.tier_id in held and ruleset.mode != "new"
    granted_on = held.get(result.tier_id) if reviewed else None
    applied = {"mode": "review" if reviewed else "new", "granted_on": _iso(granted_on)}
    return {**outcome[result.tier_id].explain(0), "applied": applied}
