"""The shipped rulesets against the table-driven cases in tests/cases/*.yaml.

A case file holds optional ``base`` facts (and an optional ``region``, default 320100 南京, a Jiangsu
city with no city rules of its own) and a list of ``cases``. A case's ``input`` is laid over the base:
attributes by key, metrics by fiscal year and field, designations replaced when given (a list of tier
codes, or tier → grant date: a re-review follows the rules of the grant date). Every tier with a
ruleset for (as_of, mode, region) is evaluated together, so ``tier`` nodes see the other tiers'
results; only the tiers under ``expected`` are compared. ``failing`` lists node ids that must have
failed (a subset: alternatives of an ``any`` may fail too); ``fixed`` the failing criteria the
enterprise cannot change; ``note`` a fragment of the zh note of a failing criterion;
``timing`` its {kind, on}; ``facts`` the (field, year) pairs to collect.

No Django and no database: only the engine in tracker/rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from pathlib import Path

import numpy as np
import pytest
import yaml

from tracker.rules import (
    STATUS_NAMES,
    FactTable,
    Ruleset,
    evaluate,
    parse_definition,
    select_ruleset,
    validate_rulesets,
)
from tracker.rules.definition import ScoreNode, iter_nodes

ROOT = Path(__file__).resolve().parents[2]
RULESET_FILES = sorted((ROOT / "fixtures" / "rulesets").glob("*.yaml"))
CASE_FILES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
TIERS = ("innovative_sme", "specialized_sme", "little_giant", "single_champion", "gazelle",
         "potential_unicorn", "unicorn", "chain_leader")
# The dates around the 2026 switch, plus one date inside every older window.
KEY_DATES = (dt.date(2022, 6, 1), dt.date(2023, 9, 1), dt.date(2025, 1, 1), dt.date(2026, 3, 31),
             dt.date(2026, 4, 1))


def _load_yaml(path: Path):
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _load_rulesets() -> list[Ruleset]:
    rulesets = []
    for path in RULESET_FILES:
        data = _load_yaml(path)
        assert path.stem == data["tier"], f"{path.name} must hold tier {path.stem}"
        rulesets.extend(Ruleset.from_dict(entry, tier=data["tier"]) for entry in data["rulesets"])
    return rulesets


RULESETS = _load_rulesets()
DEFAULT_REGION = "320100"
TIER_NAMES = {"innovative_sme": {"zh": "创新型中小企业", "en": "innovative SME"},
              "specialized_sme": {"zh": "专精特新中小企业", "en": "specialised SME"}}


def _size_standards() -> dict:
    standards = _load_yaml(ROOT / "fixtures" / "size_standards.yaml")
    # null means "the sector has no such criterion"; the engine reads a limit it is not given as
    # missing, which only matters for sectors the cases do not use.
    return {sector: {k: v for k, v in limits.items() if k in ("max_employees", "max_revenue") and v is not None}
            for sector, limits in standards.items()}


PARAMETERS = {"size_standards": _size_standards(), "tier_names": TIER_NAMES}


def _merge(base: dict, overlay: dict) -> dict:
    facts = copy.deepcopy(base or {})
    overlay = overlay or {}
    facts.setdefault("attributes", {}).update(overlay.get("attributes") or {})
    by_year = {row["fiscal_year"]: dict(row) for row in facts.get("metrics") or ()}
    for row in overlay.get("metrics") or ():
        by_year.setdefault(row["fiscal_year"], {}).update(row)
    facts["metrics"] = [by_year[year] for year in sorted(by_year)]
    if "designations" in overlay:
        facts["designations"] = overlay["designations"] or []
    return facts


def _load_cases():
    params = []
    for path in CASE_FILES:
        data = _load_yaml(path)
        for case in data["cases"]:
            merged = dict(case, input=_merge(data.get("base"), case.get("input")))
            merged.setdefault("region", data.get("region", DEFAULT_REGION))
            params.append(pytest.param(merged, id=f"{path.stem}: {case['name']}"))
    return params


CASES = _load_cases()


def _rulesets_for(as_of: dt.date, mode: str, region: str = DEFAULT_REGION, granted: dict | None = None
                  ) -> dict[str, Ruleset]:
    selected = {}
    for tier in TIERS:
        granted_on = (granted or {}).get(tier)
        ruleset = select_ruleset(RULESETS, tier=tier, as_of=as_of, mode=mode, region_code=region,
                                 granted_on=granted_on)
        if ruleset is not None:
            selected[tier] = ruleset
    return selected


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    as_of = case["as_of"]
    held = case["input"].get("designations")
    granted = held if isinstance(held, dict) else {}
    rulesets = _rulesets_for(as_of, case.get("mode", "new"), str(case["region"]), granted)
    outcomes = evaluate(rulesets=rulesets, facts=FactTable.from_records([case["input"]]), as_of=as_of,
                        parameters=PARAMETERS)
    for tier, expected in case["expected"].items():
        assert tier in outcomes, f"no {tier} ruleset for {as_of} ({case.get('mode', 'new')})"
        outcome = outcomes[tier]
        if "version" in expected:
            assert outcome.ruleset.version == expected["version"]
        failed = {node for node, result in outcome.node_outcomes(0).items() if result == "failed"}
        context = f"{tier} {outcome.ruleset.version}: failed nodes {sorted(failed)}"
        assert STATUS_NAMES[int(outcome.status[0])] == expected["status"], context
        if "score" in expected:
            if expected["score"] is None:  # not fixed by the facts: no score is reported
                assert np.isnan(outcome.score[0]), context
            else:
                assert float(outcome.score[0]) == pytest.approx(expected["score"]), context
        if "shortfall" in expected:
            assert float(outcome.shortfall[0]) == pytest.approx(expected["shortfall"], abs=1e-4), context
        if "near_miss" in expected:
            assert bool(outcome.near_miss[0]) is expected["near_miss"], context
        missing = set(expected.get("failing") or ()) - failed
        assert not missing, f"{context}; expected also {sorted(missing)}"
        if {"fixed", "note", "timing", "facts"} & set(expected):
            _check_gaps(outcome.explain(0), expected, context)


def _check_gaps(explanation: dict, expected: dict, context: str) -> None:
    failing = explanation["gaps"]["failing"]
    if "fixed" in expected:
        fixed = sorted(f["id"] for f in failing if not f["actionable"])
        assert fixed == sorted(expected["fixed"]), f"{context}; fixed criteria {fixed}"
    if "note" in expected:
        notes = [f["note"]["zh"] for f in failing if f["note"]]
        assert any(expected["note"] in note for note in notes), f"{context}; notes {notes}"
    if "timing" in expected:
        timed = next(f["timing"] for f in failing if f.get("timing"))
        assert {k: str(timed[k]) for k in expected["timing"]} == {k: str(v) for k, v in expected["timing"].items()}
    if "facts" in expected:
        facts = {(f.get("field") or f.get("variable"), f["fiscal_year"]) for f in explanation["gaps"]["facts_to_collect"]}
        assert facts == {tuple(pair) for pair in expected["facts"]}, f"{context}; facts to collect {facts}"


def test_every_case_file_names_its_cases_as_unique_sentences():
    names = [param.values[0]["name"] for param in CASES]
    assert len(names) == len(set(names))
    for name in names:
        assert name[0].isupper() and " " in name, name


def test_every_shipped_ruleset_parses_and_the_set_validates():
    assert {rs.tier for rs in RULESETS} == set(TIERS)
    for ruleset in RULESETS:
        parse_definition(ruleset.definition)
    validate_rulesets(RULESETS)


def test_versions_are_unique_per_tier():
    versions = [(rs.tier, rs.version) for rs in RULESETS]
    assert len(versions) == len(set(versions))


def _overlaps(a: Ruleset, b: Ruleset) -> bool:
    far = dt.date.max
    return a.effective_from <= (b.effective_to or far) and b.effective_from <= (a.effective_to or far)


def _grants_overlap(a: Ruleset, b: Ruleset) -> bool:
    low, high = dt.date.min, dt.date.max
    return (a.granted_from or low) <= (b.granted_to or high) and (b.granted_from or low) <= (a.granted_to or high)


def test_windows_of_one_tier_mode_and_jurisdiction_do_not_overlap():
    for a, b in itertools.combinations(RULESETS, 2):
        same = (a.tier, a.mode, a.jurisdiction, a.status) == (b.tier, b.mode, b.jurisdiction, b.status)
        if same and a.status == "active":
            assert not (_overlaps(a, b) and _grants_overlap(a, b)), f"{a.tier}: {a.version} overlaps {b.version}"


def test_every_retired_ruleset_names_its_successor():
    versions = {(rs.tier, rs.version) for rs in RULESETS}
    for ruleset in RULESETS:
        if ruleset.status == "retired":
            assert ruleset.reference.startswith("RETIRED: superseded by "), ruleset.version
            successors = ruleset.reference.split("superseded by ", 1)[1].split(" (")[0]
            for successor in successors.replace(" and ", ", ").split(", "):
                assert (ruleset.tier, successor.split()[0]) in versions, f"{ruleset.version} → {successor}"


@pytest.mark.parametrize("as_of", KEY_DATES, ids=str)
@pytest.mark.parametrize("mode", ["new", "review"])
@pytest.mark.parametrize("region", ["320100", "320900", None], ids=["nanjing", "yancheng", "national"])
def test_selection_is_unambiguous_on_key_dates(as_of, mode, region):
    for granted_on in (None, dt.date(2023, 7, 1), dt.date(2026, 4, 1)):
        selected = _rulesets_for(as_of, mode, region, dict.fromkeys(TIERS, granted_on))  # raises on a tie
        assert {"innovative_sme", "specialized_sme", "little_giant", "potential_unicorn"} <= set(selected)


def test_the_2026_switch_selects_the_expected_versions():
    def versions(as_of, mode, granted_on=None):
        return {tier: rs.version for tier, rs in _rulesets_for(as_of, mode, granted=dict.fromkeys(TIERS, granted_on)).items()}

    before, new = versions(dt.date(2026, 3, 31), "new"), versions(dt.date(2026, 4, 1), "new")
    review_2022 = versions(dt.date(2026, 4, 1), "review", dt.date(2023, 7, 1))
    review_2026 = versions(dt.date(2029, 6, 1), "review", dt.date(2026, 6, 1))
    assert before["specialized_sme"] == "MIIT-2022-63-A2-R2" and before["little_giant"] == "MIIT-2022-63-A3"
    assert new["specialized_sme"] == "MIIT-2026-2-A1-R2" and new["little_giant"] == "MIIT-2026-2-A2"
    assert review_2022["specialized_sme"] == review_2026["specialized_sme"] == "MIIT-2026-2-A1-REVIEW-R2"
    assert review_2022["little_giant"] == "MIIT-2022-63-A3-REVIEW-2026"
    assert review_2026["little_giant"] == "MIIT-2026-2-A2-REVIEW"
    assert before["innovative_sme"] == new["innovative_sme"] == review_2022["innovative_sme"] == "MIIT-2022-63-A1"


def test_a_city_gazelle_rule_wins_inside_its_city_and_the_province_rules_elsewhere():
    as_of = dt.date(2026, 5, 1)
    assert _rulesets_for(as_of, "new", "320900")["gazelle"].version == "YC-2022-CITY"
    assert _rulesets_for(as_of, "new", "320902")["gazelle"].version == "YC-2022-CITY"  # a 盐城 district
    assert _rulesets_for(as_of, "new", "320500")["gazelle"].version == "JS-2024-PROV"
    assert "gazelle" not in _rulesets_for(dt.date(2023, 6, 1), "new", "320500")  # before the first provincial round
    assert "gazelle" not in _rulesets_for(as_of, "new", "330100")  # outside Jiangsu: no rule


def _labelled(ruleset: Ruleset):
    """Every labelled element of a ruleset: nodes, score dimensions, indicators and their items."""
    for node in iter_nodes(ruleset.root):
        yield node.id, node.label, node.reference
        if isinstance(node, ScoreNode):
            for dim in node.dimensions:
                yield dim.id, dim.label, None  # a dimension carries no reference of its own
            stack = list(node.indicators)
            while stack:
                ind = stack.pop()
                yield ind.id, ind.label, ind.reference
                for item in ind.items:
                    if hasattr(item, "kind"):
                        stack.append(item)
                    else:
                        yield item.id, item.label, _raw_item_reference(ruleset, item.id)


def _raw_item_reference(ruleset: Ruleset, item_id: str) -> str:
    # Sum items keep no reference once parsed; read it from the raw definition.
    stack = [ruleset.definition]
    while stack:
        raw = stack.pop()
        if isinstance(raw, dict):
            if raw.get("id") == item_id and "variable" in raw and "points" in raw:
                return str(raw.get("reference") or "")
            stack.extend(raw.values())
        elif isinstance(raw, list):
            stack.extend(raw)
    return ""


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda rs: f"{rs.tier}:{rs.version}")
def test_every_node_has_zh_and_en_labels_and_a_reference(ruleset):
    assert ruleset.reference.strip()
    for node_id, label, reference in _labelled(ruleset):
        assert label.zh.strip() and label.en.strip(), node_id
        assert reference is None or reference.strip(), f"{node_id} has no reference"


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda rs: f"{rs.tier}:{rs.version}")
def test_every_reference_cites_its_source_or_marks_itself_provisional(ruleset):
    # criteria.md collects the sources found first; seeds/README.md the ones found since.
    for node_id, _label, reference in _labelled(ruleset):
        if reference is not None:
            assert any(mark in reference for mark in ("criteria.md", "seeds/README.md", "PROVISIONAL")), node_id


def test_provisional_rulesets_say_so_in_version_and_reference():
    chain = [rs for rs in RULESETS if rs.tier == "chain_leader"]
    assert chain and all("PROVISIONAL" in rs.version and "PROVISIONAL" in rs.reference for rs in chain)


def _raw_labels(raw):
    if isinstance(raw, dict):
        if "label" in raw:
            yield raw.get("id"), raw["label"]
        for value in raw.values():
            yield from _raw_labels(value)
    elif isinstance(raw, list):
        for value in raw:
            yield from _raw_labels(value)


@pytest.mark.parametrize("ruleset", RULESETS, ids=lambda rs: f"{rs.tier}:{rs.version}")
def test_labels_have_exactly_zh_and_en(ruleset):
    # An unquoted comma inside a YAML flow mapping silently splits an English label into two keys.
    for node_id, label in _raw_labels(ruleset.definition):
        assert isinstance(label, dict) and set(label) == {"zh", "en"}, f"{node_id}: {label}"
