"""SQL expressions that turn stored facts into the engine's float encoding, per database vendor."""

from __future__ import annotations

from tracker.rules.fields import ATTRIBUTE_FIELDS, METRIC_FIELDS, FactField

# Enterprise attributes stored on the enterprise row (the cluster ones come from memberships).
ENTERPRISE_ATTRIBUTES = [
    ATTRIBUTE_FIELDS[name]
    for name in ("founded_on", "listed", "listed_on", "sector", "niche_since", "vc_backed", "group_has_little_giant")
]
METRICS = list(METRIC_FIELDS.values())


def encoded(field: FactField, column: str, vendor: str) -> str:
    """An SQL expression giving the fact as a float (NaN for missing on PostgreSQL, NULL elsewhere)."""
    if field.kind in ("ordinal", "category"):
        cases = " ".join(f"WHEN '{choice}' THEN {code}" for code, choice in enumerate(field.choices))
        expr = f"(CASE {column} {cases} END)"
    elif field.kind == "bool":
        expr = f"(CASE WHEN {column} IS NULL THEN NULL WHEN {column} THEN 1 ELSE 0 END)"
    elif field.kind == "date":
        expr = f"({column} - DATE '1970-01-01')" if vendor == "postgresql" else f"(julianday({column}) - 2440587.5)"
    else:
        expr = column
    if vendor == "postgresql":
        return f"COALESCE(({expr})::float8, 'NaN'::float8)"
    return expr
