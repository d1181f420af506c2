"""The shipped rulesets against the table-driven cases in tests/cases/*.yaml.

A case file holds optional ``base`` facts and a list of ``cases``. A case's ``input`` is laid over the
base: attributes by key, metrics by fiscal year and field, designations replaced when given. Every
tier with a ruleset for (as_of, mode) is evaluated together, so ``tier`` nodes see the other tiers'
results; only the tiers under ``expected`` are compared. ``failing`` lists node ids that must have
failed (a subset: alternatives of an ``any`` may fail too).

No Django and no database: only the engine in tracker/rules.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
from pathlib import Path

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


def _size_standards() -> dict:
    standards = _load_yaml(ROOT / "fixtures" / "size_standards.yaml")
    # null means "the sector has no such criterion"; the engine reads a limit it is not given as
    # missing, which only matters for sectors the cases do not use.
    return {sector: {k: v for k, v in limits.items() if k in ("max_employees", "max_revenue") and v is not None}
            for sector, limits in standards.items()}


PARAMETERS = {"size_standards": _size_standards()}


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
            params.append(pytest.param(merged, id=f"{path.stem}: {case['name']}"))
    return params


CASES = _load_cases()


def _rulesets_for(as_of: dt.date, mode: str) -> dict[str, Ruleset]:
    selected = {}
    for tier in TIERS:
        ruleset = select_ruleset(RULESETS, tier=tier, as_of=as_of, mode=mode)
        if ruleset is not None:
            selected[tier] = ruleset
    return selected


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    as_of = case["as_of"]
    rulesets = _rulesets_for(as_of, case.get("mode", "new"))
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
            assert float(outcome.score[0]) == pytest.approx(expected["score"]), context
        if "near_miss" in expected:
            assert bool(outcome.near_miss[0]) is expected["near_miss"], context
        missing = set(expected.get("failing") or ()) - failed
        assert not missing, f"{context}; expected also {sorted(missing)}"


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


def test_windows_of_one_tier_mode_and_jurisdiction_do_not_overlap():
    for a, b in itertools.combinations(RULESETS, 2):
        same = (a.tier, a.mode, a.jurisdiction, a.status) == (b.tier, b.mode, b.jurisdiction, b.status)
        if same and a.status == "active":
            assert not _overlaps(a, b), f"{a.tier}: {a.version} overlaps {b.version}"


@pytest.mark.parametrize("as_of", KEY_DATES, ids=str)
@pytest.mark.parametrize("mode", ["new", "review"])
def test_selection_is_unambiguous_on_key_dates(as_of, mode):
    selected = _rulesets_for(as_of, mode)  # select_ruleset raises on a tie
    assert {"innovative_sme", "specialized_sme", "little_giant", "potential_unicorn"} <= set(selected)


def test_the_2026_switch_selects_the_expected_versions():
    def versions(as_of, mode):
        return {tier: rs.version for tier, rs in _rulesets_for(as_of, mode).items()}

    before, new, review = (versions(dt.date(2026, 3, 31), "new"), versions(dt.date(2026, 4, 1), "new"),
                           versions(dt.date(2026, 4, 1), "review"))
    assert before["specialized_sme"] == "MIIT-2022-63-A2" and before["little_giant"] == "MIIT-2022-63-A3"
    assert new["specialized_sme"] == "MIIT-2026-2-A1" and new["little_giant"] == "MIIT-2026-2-A2"
    assert review["specialized_sme"] == "MIIT-2026-2-A1-REVIEW"
    assert review["little_giant"] == "MIIT-2022-63-A3-REVIEW-2026"
    assert before["innovative_sme"] == new["innovative_sme"] == review["innovative_sme"] == "MIIT-2022-63-A1"


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
def test_every_reference_cites_criteria_md_or_marks_itself_provisional(ruleset):
    for node_id, _label, reference in _labelled(ruleset):
        if reference is not None:
            assert "criteria.md" in reference or "PROVISIONAL" in reference, node_id


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
