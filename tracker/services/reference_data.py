"""Reference data: regions, clusters (with chain segments), tiers, national recognitions and rulesets.

Loaded from the YAML files in ``fixtures/``, which name related rows by natural key (region code,
cluster code, tier code), never by database id. Loading is idempotent and set-based: each table is
read once, then the missing rows are created and the differing rows updated in bulk. The fixtures are
the source of truth for the fields they carry; rows that exist only in the database are left alone.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tracker.models import ChainSegment, Cluster, NationalRecognition, Region, Ruleset, Tier

try:  # The engine validates definitions; the loader must not store a ruleset the engine rejects.
    from tracker.rules import parse_definition
except ImportError:  # pragma: no cover - only while the engine package is absent
    parse_definition = None

logger = logging.getLogger(__name__)

DEFAULT_FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
SEGMENT_POSITIONS = ("upstream", "midstream", "downstream")


class ReferenceDataError(Exception):
    """A fixture file is missing, malformed, or refers to a natural key that does not exist."""


# --------------------------------------------------------------------------------------------- API


def reference_data_load(*, fixtures_dir: Path | str = DEFAULT_FIXTURES_DIR) -> dict[str, Any]:
    """Load every reference-data fixture; return counts per table.

    The result maps each table (``regions``, ``tiers``, ``clusters``, ``segments``,
    ``cluster_regions``, ``recognitions``, ``recognition_links``, ``rulesets``) to
    ``{"created": n, "updated": n, "unchanged": n}``; rulesets add ``"active_differs"``: active or
    retired rulesets whose fixture definition differs and which were therefore left unchanged.
    ``notices`` lists those rulesets by name. Running it twice creates and updates nothing.
    """
    fixtures_dir = Path(fixtures_dir)
    with transaction.atomic():
        counts: dict[str, Any] = {"notices": []}
        counts["regions"] = regions_load(_read(fixtures_dir / "regions.yaml", "regions"))
        counts["tiers"] = tiers_load(_read(fixtures_dir / "tiers.yaml", "tiers"))
        counts.update(clusters_load(_read(fixtures_dir / "clusters.yaml", "clusters")))
        counts.update(recognitions_load(_read(fixtures_dir / "recognitions.yaml", "recognitions")))
        ruleset_counts, notices = rulesets_load(_ruleset_entries(fixtures_dir / "rulesets"))
        counts["rulesets"] = ruleset_counts
        counts["notices"].extend(notices)
    return counts


# ------------------------------------------------------------------------------------------ tables


def regions_load(entries: list[dict]) -> dict[str, int]:
    """Regions in two passes (rows, then parents and successors), since a code may be listed after
    the codes that point to it. A retired code must name a current successor."""
    fields = ("name", "name_en", "level", "retired_in", "note")
    defaults = {"name_en": "", "retired_in": None, "note": ""}
    rows = {str(e["code"]): {f: e.get(f, defaults.get(f)) for f in fields} for e in entries}
    created, updated = _upsert_keys(Region, "code", rows)
    ids = dict(Region.objects.values_list("code", "id"))
    links = {}
    for entry in entries:
        code = str(entry["code"])
        parent, successor = entry.get("parent"), entry.get("successor")
        for label, target in (("parent", parent), ("successor", successor)):
            if target is not None and str(target) not in ids:
                raise ReferenceDataError(f"region {code}: unknown {label} {target}")
        if entry.get("retired_in") and (successor is None or rows.get(str(successor), {}).get("retired_in")):
            raise ReferenceDataError(f"region {code}: a retired code needs a current successor")
        links[code] = {
            "parent_id": ids[str(parent)] if parent is not None else None,
            "successor_id": ids[str(successor)] if successor is not None else None,
        }
    _, link_updated = _upsert_keys(Region, "code", links)
    updated = (updated | link_updated) - created
    return {"created": len(created), "updated": len(updated), "unchanged": len(rows) - len(created) - len(updated)}


def tiers_load(entries: list[dict]) -> dict[str, int]:
    fields = ("name_zh", "name_en", "track", "ladder_order", "validity_years", "per_cluster", "description")
    rows = {e["code"]: {f: e.get(f, Tier._meta.get_field(f).get_default()) for f in fields} for e in entries}
    for row in rows.values():
        row["description"] = (row["description"] or "").strip()
    return _upsert(Tier, "code", rows)


def clusters_load(entries: list[dict]) -> dict[str, dict[str, int]]:
    """Clusters, their chain segments (by cluster and name) and their core carrier regions."""
    fields = ("name_zh", "name_en", "group", "name_confirmed", "operating_org", "reference")
    rows = {}
    for e in entries:
        rows[e["code"]] = {f: e.get(f, Cluster._meta.get_field(f).get_default()) for f in fields}
        rows[e["code"]]["reference"] = (rows[e["code"]]["reference"] or "").strip()
    counts = {"clusters": _upsert(Cluster, "code", rows)}

    cluster_ids = dict(Cluster.objects.values_list("code", "id"))
    segments = {}
    for e in entries:
        for position, names in (e.get("segments") or {}).items():
            if position not in SEGMENT_POSITIONS:
                raise ReferenceDataError(f"cluster {e['code']}: unknown chain position {position!r}")
            for order, name in enumerate(names, start=1):
                segments[(cluster_ids[e["code"]], name)] = {"position": position, "sort_order": order}
    counts["segments"] = _upsert(ChainSegment, ("cluster_id", "name"), segments)

    region_ids = _region_ids(code for e in entries for code in e.get("core_regions") or ())
    wanted = {(cluster_ids[e["code"]], region_ids[str(code)]) for e in entries for code in e.get("core_regions") or ()}
    counts["cluster_regions"] = _link(Cluster.core_regions.through, "cluster_id", "region_id", wanted)
    return counts


def recognitions_load(entries: list[dict]) -> dict[str, dict[str, int]]:
    rows = {
        (e["kind"], e["name"]): {"batch": e.get("batch", ""), "reference": (e.get("reference") or "").strip()}
        for e in entries
    }
    counts = {"recognitions": _upsert(NationalRecognition, ("kind", "name"), rows)}
    ids = {(kind, name): pk for pk, kind, name in NationalRecognition.objects.values_list("id", "kind", "name")}
    region_ids = _region_ids(code for e in entries for code in e.get("regions") or ())
    cluster_ids = dict(Cluster.objects.values_list("code", "id"))
    for e in entries:
        unknown = [c for c in e.get("clusters") or () if c not in cluster_ids]
        if unknown:
            raise ReferenceDataError(f"recognition {e['name']}: unknown clusters {unknown}")
    region_links = {
        (ids[(e["kind"], e["name"])], region_ids[str(code)]) for e in entries for code in e.get("regions") or ()
    }
    cluster_links = {(ids[(e["kind"], e["name"])], cluster_ids[c]) for e in entries for c in e.get("clusters") or ()}
    region_counts = _link(NationalRecognition.regions.through, "nationalrecognition_id", "region_id", region_links)
    cluster_counts = _link(NationalRecognition.clusters.through, "nationalrecognition_id", "cluster_id", cluster_links)
    counts["recognition_links"] = {k: region_counts[k] + cluster_counts[k] for k in region_counts}
    return counts


def rulesets_load(entries: list[dict]) -> tuple[dict[str, int], list[str]]:
    """Rulesets keyed by (tier, version). A draft is brought in line with its fixture; an active or
    retired ruleset is immutable in its criteria, so a differing definition leaves it unchanged and
    is reported (a criteria change needs a new version). Metadata of a non-draft ruleset may still
    move forward (e.g. ``effective_to`` set when a successor arrives), but never back to draft.
    """
    tier_codes = set(Tier.objects.values_list("code", flat=True))
    region_ids = _region_ids(e["jurisdiction"] for e in entries if e.get("jurisdiction"))
    existing = {(r.tier_id, r.version): r for r in Ruleset.objects.all()}
    meta_fields = (
        "effective_from", "effective_to", "granted_from", "granted_to", "mode", "jurisdiction_id", "status", "reference"
    )
    to_create, to_update, notices = [], [], []
    counts = {"created": 0, "updated": 0, "unchanged": 0, "active_differs": 0}
    for entry in entries:
        if entry["tier"] not in tier_codes:
            raise ReferenceDataError(f"ruleset {entry['tier']} {entry['version']}: unknown tier")
        _validate_definition(entry)
        wanted = {
            "effective_from": entry["effective_from"],
            "effective_to": entry.get("effective_to"),
            "granted_from": entry.get("granted_from"),
            "granted_to": entry.get("granted_to"),
            "mode": entry.get("mode", Ruleset.Mode.ANY),
            "jurisdiction_id": region_ids[str(entry["jurisdiction"])] if entry.get("jurisdiction") else None,
            "status": entry.get("status", Ruleset.Status.DRAFT),
            "reference": (entry.get("reference") or "").strip(),
            "definition": _json_normalised(entry["definition"]),
        }
        current = existing.get((entry["tier"], entry["version"]))
        if current is None:
            to_create.append(Ruleset(tier_id=entry["tier"], version=entry["version"], **wanted))
            continue
        changed = [f for f, v in wanted.items() if getattr(current, f) != v]
        if current.status != Ruleset.Status.DRAFT:
            if "definition" in changed:
                counts["active_differs"] += 1
                notices.append(
                    f"ruleset {entry['tier']} {entry['version']} is {current.status}; its definition differs "
                    "from the fixture and was left unchanged (publish a new version instead)"
                )
                continue
            if wanted["status"] == Ruleset.Status.DRAFT:
                changed = [f for f in changed if f != "status"]
        if not changed:
            counts["unchanged"] += 1
            continue
        for field in changed:
            setattr(current, field, wanted[field])
        current.revision += 1  # a criteria table opened before the load must not write over it
        to_update.append(current)
    if to_create:
        bulk_create_with_history(to_create, Ruleset, default_change_reason="bootstrap")
    if to_update:
        bulk_update_with_history(
            to_update, Ruleset, [*meta_fields, "definition", "revision"], default_change_reason="bootstrap"
        )
    counts["created"], counts["updated"] = len(to_create), len(to_update)
    for notice in notices:
        logger.warning(notice)
    return counts, notices


# ----------------------------------------------------------------------------------------- helpers


def _upsert(model: type[models.Model], key: str | tuple[str, ...], rows: Mapping) -> dict[str, int]:
    """Create the missing rows and update the differing ones: one read, one bulk insert, one bulk update."""
    created, updated = _upsert_keys(model, key, rows)
    return {"created": len(created), "updated": len(updated), "unchanged": len(rows) - len(created) - len(updated)}


def _upsert_keys(model: type[models.Model], key: str | tuple[str, ...], rows: Mapping) -> tuple[set, set]:
    keys = (key,) if isinstance(key, str) else key
    fields = sorted({f for row in rows.values() for f in row})
    existing = {}
    for obj in model.objects.only(*keys, *fields) if fields else model.objects.all():
        existing[tuple(getattr(obj, k) for k in keys) if len(keys) > 1 else getattr(obj, keys[0])] = obj
    to_create, to_update, created_keys, updated_keys = [], [], set(), set()
    for natural_key, values in rows.items():
        obj = existing.get(natural_key)
        if obj is None:
            key_values = dict(zip(keys, natural_key if len(keys) > 1 else (natural_key,), strict=True))
            to_create.append(model(**key_values, **values))
            created_keys.add(natural_key)
        elif any(getattr(obj, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(obj, f, v)
            to_update.append(obj)
            updated_keys.add(natural_key)
    model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, fields)
    return created_keys, updated_keys


def _link(through: type[models.Model], left: str, right: str, wanted: set[tuple[int, int]]) -> dict[str, int]:
    """Add the missing many-to-many pairs. Pairs only in the database (added in the admin) stay."""
    lefts = {pair[0] for pair in wanted}
    existing = set(through.objects.filter(**{f"{left}__in": lefts}).values_list(left, right))
    missing = wanted - existing
    through.objects.bulk_create([through(**{left: a, right: b}) for a, b in sorted(missing)])
    return {"created": len(missing), "updated": 0, "unchanged": len(wanted) - len(missing)}


def _region_ids(codes: Iterable) -> dict[str, int]:
    codes = {str(c) for c in codes}
    ids = dict(Region.objects.filter(code__in=codes).values_list("code", "id"))
    missing = codes - ids.keys()
    if missing:
        raise ReferenceDataError(f"unknown region codes: {sorted(missing)}")
    return ids


def _read(path: Path, key: str) -> list[dict]:
    if not path.exists():
        raise ReferenceDataError(f"{path} is missing")
    with path.open(encoding="utf-8") as fh:
        content = yaml.safe_load(fh) or {}
    if not isinstance(content.get(key), list):
        raise ReferenceDataError(f"{path}: expected a list under {key!r}")
    return content[key]


def _ruleset_entries(directory: Path) -> list[dict]:
    entries = []
    for path in sorted(directory.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            content = yaml.safe_load(fh) or {}
        tier = content.get("tier")
        for entry in content.get("rulesets") or ():
            if "version" not in entry or "definition" not in entry or "effective_from" not in entry:
                raise ReferenceDataError(f"{path}: each ruleset needs version, effective_from and definition")
            entries.append({**entry, "tier": entry.get("tier", tier), "source": path.name})
    return entries


def _validate_definition(entry: dict) -> None:
    if parse_definition is None:  # the engine package is not installed: nothing to validate against
        return
    try:
        parse_definition(entry["definition"])
    except Exception as exc:  # DefinitionError, or a malformed tree the parser trips over
        raise ReferenceDataError(f"{entry['source']}: ruleset {entry['tier']} {entry['version']}: {exc}") from exc


def _json_normalised(value: Any) -> Any:
    """The definition as the JSONField stores it (YAML dates become ISO strings), so comparisons hold."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))
