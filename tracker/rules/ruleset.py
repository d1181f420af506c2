"""Rulesets (a tier's criteria with dates, mode and jurisdiction) and their selection."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .definition import DefinitionError, Node, iter_nodes, parse_definition

MODES = ("new", "review", "any")
STATUSES = ("draft", "active", "retired")


def _date(value, what: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DefinitionError(None, f"{what} {value!r} is not a date (yyyy-mm-dd)") from None


@dataclass(frozen=True)
class Ruleset:
    """A tier's criteria as data. ``definition`` is the raw tree; ``root`` its parsed form (parsing
    and validation happen on construction, so an invalid ruleset cannot exist).

    ``granted_from``/``granted_to`` (re-review rulesets only) bound the grant date of the designation
    under review: a re-review follows the rules the title was granted under (null = open end).
    """

    tier: str
    version: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    mode: str = "any"
    jurisdiction: str | None = None
    status: str = "active"
    reference: str = ""
    definition: Mapping = field(default_factory=dict, compare=False, repr=False)
    granted_from: dt.date | None = None
    granted_to: dt.date | None = None
    root: Node = field(init=False, compare=False, repr=False)
    node_index: tuple[str, ...] = field(init=False, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "effective_from", _date(self.effective_from, "effective_from"))
        object.__setattr__(self, "effective_to", _date(self.effective_to, "effective_to"))
        if self.effective_from is None:
            raise DefinitionError(None, "effective_from is required")
        if self.effective_to is not None and self.effective_to < self.effective_from:
            raise DefinitionError(None, "effective_to is before effective_from")
        if self.mode not in MODES:
            raise DefinitionError(None, f"mode must be one of {', '.join(MODES)}")
        object.__setattr__(self, "granted_from", _date(self.granted_from, "granted_from"))
        object.__setattr__(self, "granted_to", _date(self.granted_to, "granted_to"))
        if (self.granted_from or self.granted_to) and self.mode != "review":
            raise DefinitionError(None, "granted_from/granted_to apply to re-review rulesets (mode review) only")
        if self.granted_from and self.granted_to and self.granted_to < self.granted_from:
            raise DefinitionError(None, "granted_to is before granted_from")
        if self.status not in STATUSES:
            raise DefinitionError(None, f"status must be one of {', '.join(STATUSES)}")
        if self.jurisdiction is not None:
            object.__setattr__(self, "jurisdiction", str(self.jurisdiction))
        root = parse_definition(self.definition)
        object.__setattr__(self, "root", root)
        # Pre-order ids: the bit positions of failed_bits/unknown_bits. Stable for a version
        # because an active ruleset's definition is immutable.
        object.__setattr__(self, "node_index", tuple(n.id for n in iter_nodes(root)))

    @classmethod
    def from_dict(cls, data: Mapping, *, tier: str | None = None) -> Ruleset:
        """Build from one entry of a ``fixtures/rulesets/<tier>.yaml`` file (``tier`` from the file)."""
        known = {"tier", "version", "effective_from", "effective_to", "mode", "jurisdiction", "status",
                 "reference", "definition", "granted_from", "granted_to"}
        unknown = set(data) - known
        if unknown:
            raise DefinitionError(None, f"unknown ruleset keys: {', '.join(sorted(unknown))}")
        values = dict(data)
        values.setdefault("tier", tier)
        if not values.get("tier") or not values.get("version"):
            raise DefinitionError(None, "a ruleset needs a tier and a version")
        return cls(**values)

    def applies_on(self, as_of: dt.date) -> bool:
        """The effective window contains ``as_of`` (both ends inclusive)."""
        return self.effective_from <= as_of and (self.effective_to is None or as_of <= self.effective_to)

    def covers_grant(self, granted_on: dt.date) -> bool:
        """The grant window contains ``granted_on`` (both ends inclusive; no window covers every date)."""
        return (self.granted_from is None or self.granted_from <= granted_on) and (
            self.granted_to is None or granted_on <= self.granted_to)


def region_prefix(code: str | None) -> str:
    """GB/T 2260 code without its trailing "00" pairs: 320000 → 32, 320500 → 3205, 320505 → 320505."""
    if not code:
        return ""
    code = str(code)
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def select_ruleset(candidates: Iterable[Ruleset], *, tier: str, as_of: dt.date, mode: str,
                   region_code: str | None = None, granted_on: dt.date | None = None) -> Ruleset | None:
    """The ruleset to evaluate ``tier`` with, or None.

    Candidates must be active, of that tier, effective on ``as_of``, of mode ``mode`` or ``any``, and
    national (jurisdiction null) or a region containing ``region_code``; in review mode, a grant
    window must contain ``granted_on``, the day the title under review was granted (unknown: taken as
    ``as_of``, the rules a title granted that day would be reviewed under). Among them: the most
    specific jurisdiction first, then an exact mode over ``any``, then the latest effective_from.
    """
    if mode not in ("new", "review"):
        raise ValueError(f'mode must be "new" or "review", not {mode!r}')
    region = region_prefix(region_code)
    ranked = []
    for ruleset in candidates:
        if ruleset.tier != tier or ruleset.status != "active" or not ruleset.applies_on(as_of):
            continue
        if ruleset.mode not in (mode, "any"):
            continue
        if mode == "review" and not ruleset.covers_grant(granted_on or as_of):
            continue
        prefix = region_prefix(ruleset.jurisdiction)
        if prefix and not region.startswith(prefix):
            continue
        ranked.append(((len(prefix), ruleset.mode == mode, ruleset.effective_from), ruleset))
    if not ranked:
        return None
    ranked.sort(key=lambda pair: pair[0], reverse=True)
    if len(ranked) > 1 and ranked[0][0] == ranked[1][0]:
        raise ValueError(f"ambiguous rulesets for {tier} on {as_of}: "
                         f"{ranked[0][1].version} and {ranked[1][1].version}")
    return ranked[0][1]
