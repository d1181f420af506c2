"""The ruleset catalogue: stored criteria as engine objects, and the choice of one per evaluation.

Read by the pipeline, the live evaluation and the what-if simulation alike, so all three choose the
same ruleset for the same enterprise and date.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from pathlib import Path

import yaml
from django.conf import settings

from tracker import rules
from tracker.models import Ruleset, RulesetPreview

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"

# Parsed rulesets by (pk, everything the engine reads). Active rulesets never change, so in a worker
# this is filled once; a draft edited in the admin gets a new key and is parsed again.
_parsed: dict[tuple, rules.Ruleset] = {}


def engine_ruleset(ruleset: Ruleset) -> rules.Ruleset:
    """The engine's view of a stored ruleset (parsed once per process and content)."""
    fields = {
        "tier": ruleset.tier_id,
        "version": ruleset.version,
        "effective_from": ruleset.effective_from,
        "effective_to": ruleset.effective_to,
        "mode": ruleset.mode,
        "jurisdiction": ruleset.jurisdiction.code if ruleset.jurisdiction_id else None,
        "status": ruleset.status,
        "reference": ruleset.reference,
        "granted_from": ruleset.granted_from,
        "granted_to": ruleset.granted_to,
    }
    key = (ruleset.pk, *fields.values(), json.dumps(ruleset.definition, sort_keys=True, ensure_ascii=False))
    parsed = _parsed.get(key)
    if parsed is None:
        parsed = _parsed[key] = rules.Ruleset(**fields, definition=ruleset.definition)
    return parsed


class RulesetCatalog:
    """The active rulesets, loaded once, with selection by tier, date, mode and region."""

    def __init__(self, rulesets: list[Ruleset]):
        self.models = {r.pk: r for r in rulesets}
        self.engine = {r.pk: engine_ruleset(r) for r in rulesets}
        self._pk_by_engine = {id(v): k for k, v in self.engine.items()}

    @classmethod
    def active(cls) -> RulesetCatalog:
        return cls(list(Ruleset.objects.filter(status=Ruleset.Status.ACTIVE).select_related("jurisdiction")))

    def tiers(self) -> list[str]:
        return sorted({r.tier for r in self.engine.values()})

    def select(
        self, *, tier: str, as_of: dt.date, mode: str, region_code: str | None, granted_on: dt.date | None = None
    ) -> int | None:
        """The pk of the ruleset to use, or None when no ruleset is in force (``granted_on``: the grant
        date of the title under re-review, which picks the rules it is reviewed under)."""
        chosen = rules.select_ruleset(
            self.engine.values(), tier=tier, as_of=as_of, mode=mode, region_code=region_code, granted_on=granted_on
        )
        return None if chosen is None else self._pk_by_engine[id(chosen)]


@functools.cache
def _size_standards_cached(path: str) -> dict:
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def size_standards(*, fixtures_dir: Path | str = FIXTURES_DIR) -> dict:
    """The SME size standards (工信部联企业〔2011〕300号) as shipped in ``fixtures/size_standards.yaml``."""
    path = Path(fixtures_dir) / "size_standards.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: the SME size standards are not installed.")
    return _size_standards_cached(str(path.resolve()))


def engine_parameters() -> dict:
    """Data the engine's formulas read besides the facts (the SME size standard by sector)."""
    return {"size_standards": size_standards()}


def near_miss_rule() -> rules.NearMiss:
    """The near-miss rule from the settings (TIDU_NEAR_MISS_TOLERANCE, TIDU_NEAR_MISS_MAX_FAILING)."""
    return rules.NearMiss(
        tolerance=settings.TIDU["NEAR_MISS_TOLERANCE"], max_failing=settings.TIDU["NEAR_MISS_MAX_FAILING"]
    )


def shown_preview(ruleset: Ruleset) -> RulesetPreview | None:
    """The preview a draft's pages show: the latest of its current revision; without one, the latest
    finished one of an earlier revision (shown as outdated); None when it was never previewed."""
    previews = RulesetPreview.objects.filter(ruleset_id=ruleset.pk).select_related("requested_by")
    current = previews.filter(revision=ruleset.revision).first()
    if current is not None:
        return current
    return previews.filter(status=RulesetPreview.Status.DONE).first()
