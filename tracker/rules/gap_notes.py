"""What a failing criterion means for the enterprise: when a time-bound one will be met or when its window
closed, and a short bilingual note for the criteria whose gap is not a number to close.

Which variables are actionable or time-bound is data in the variable registry (``actionable`` and
``clock``, variables.py); nothing here knows a variable by name.
"""

from __future__ import annotations

from .durations import add_years, start_of_year_count
from .facts import date_from_day_number
from .fields import FIELDS

_ORDER_OPS = ("gte", "gt", "lte", "lt", "between")


def _next_year_start(day: float, *, inclusive: bool) -> float:
    """The first 1 January on or after ``day`` (``inclusive``) or strictly after it."""
    date = date_from_day_number(day)
    if inclusive and date.month == 1 and date.day == 1:
        return day
    return day + (date.replace(year=date.year + 1, month=1, day=1) - date).days


def timing(var, cond, value: float, ctx) -> dict | None:
    """For a failing test on a duration variable (one with a ``clock``): ``{"kind": "met_later" |
    "closed", "date": date, "years": n}``: the evaluation date from which it is met, or the first one on
    which it no longer was, and how many years that is from the value now. None when it cannot be
    told (a missing start, or a threshold that is not a whole number of years)."""
    clock = var.clock
    start = ctx.facts.raw_value(clock.start, None, 0)
    if cond.op not in _ORDER_OPS or start != start or value != value:
        return None
    if FIELDS[clock.start].kind != "date":
        start = float(start_of_year_count(start))
    op, threshold = cond.op, cond.threshold
    if op == "between":
        low, high = threshold
        op, threshold = ("gte", low) if value < low else ("lte", high)
    if not float(threshold).is_integer():
        return None
    bar = float(add_years(start, threshold))  # the instant the duration equals the threshold
    strict = op in ("gt", "lt")
    at_year_end = clock.at == "end_of_year"
    if op in ("gte", "gt"):
        # Met once the duration reaches the bar (gte) or passes it (gt).
        on = _next_year_start(bar, inclusive=not strict) if at_year_end else bar + (1 if strict else 0)
        kind, years = "met_later", threshold - value
    else:
        # Met while the duration stays within the bar; the first evaluation past it fails.
        on = _next_year_start(bar, inclusive=strict) if at_year_end else bar + (0 if strict else 1)
        kind, years = "closed", value - threshold
    return {"kind": kind, "date": date_from_day_number(on).isoformat(), "years": round(float(years), 2)}


def _years(n: float) -> str:
    return f"{n:g}"


def criterion_note(entry: dict, tier_names: dict) -> dict | None:
    """A {zh, en} note for a failing criterion whose next step is not "close the numeric gap": a
    time-bound criterion (when it will be met, or that its window closed), one no enterprise can
    change, a title to obtain first, an exclusion. None when the gap itself says it all."""
    kind = entry["kind"]
    if kind == "tier":
        return _tier_note(entry, tier_names)
    if kind == "not":
        return {"zh": "属于排除情形，无法通过企业经营改变",
                "en": "An exclusion: not something the enterprise can change"}
    timed = entry.get("timing")
    if timed and timed["kind"] == "met_later":
        years = _years(timed["years"])
        return {"zh": f"再经营{years}年后满足（{timed['date']}起）",
                "en": f"Met after {years} more year(s) (from {timed['date']})"}
    if timed:
        limit = entry.get("threshold")
        return {"zh": f"已超过{limit}年的期限（{timed['date']}起不再满足），无法通过企业经营改变",
                "en": f"Past the {limit}-year limit (not met since {timed['date']}); the enterprise cannot change this"}
    if not entry["actionable"]:
        return {"zh": "该条件无法通过企业经营改变", "en": "Not something the enterprise can change by what it does"}
    return None


def _tier_note(entry: dict, tier_names: dict) -> dict:
    names = tier_names.get(entry["tier"]) or {"zh": entry["tier"], "en": entry["tier"]}
    status = entry.get("tier_status")
    if status == "eligible":
        zh_state, en_state = "当前已满足条件", "its criteria are met now"
    elif status == "not_eligible":
        zh_state, en_state = "当前尚未满足其条件", "its criteria are not met yet"
    else:
        zh_state, en_state = "其条件是否满足尚缺数据", "whether its criteria are met is not known yet"
    if entry["require"] == "designated":
        return {"zh": f"先取得{names['zh']}称号（{zh_state}）",
                "en": f"First obtain the {names['en']} title ({en_state})"}
    if entry["require"] == "either":
        return {"zh": f"先满足{names['zh']}的认定条件或取得其称号（{zh_state}）",
                "en": f"First meet the {names['en']} criteria or hold its title ({en_state})"}
    return {"zh": f"先满足{names['zh']}的认定条件（{zh_state}）",
            "en": f"First meet the {names['en']} criteria ({en_state})"}
