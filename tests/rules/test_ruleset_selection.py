"""Choosing the ruleset in force: effective dates, mode and jurisdiction."""

import datetime as dt

import pytest

from tracker.rules import DefinitionError, Ruleset, select_ruleset

from .builders import criterion

DEF = criterion("r", "revenue", "gte", 1)


def rs(version, start, end=None, mode="any", jurisdiction=None, status="active", tier="specialized_sme"):
    return Ruleset(tier=tier, version=version, effective_from=start, effective_to=end, mode=mode,
                   jurisdiction=jurisdiction, status=status, definition=DEF)


OLD = rs("2022", "2022-06-01", "2026-03-31")
NEW = rs("2026", "2026-04-01", None, mode="new")
REVIEW = rs("2026-review", "2026-04-01", None, mode="review")
ALL = [OLD, NEW, REVIEW]


def pick(candidates=ALL, *, as_of, mode="new", region_code=None, tier="specialized_sme"):
    found = select_ruleset(candidates, tier=tier, as_of=as_of, mode=mode, region_code=region_code)
    return found and found.version


def test_the_2022_rules_apply_on_their_last_day():
    assert pick(as_of=dt.date(2026, 3, 31)) == "2022"


def test_the_2026_rules_apply_from_2026_04_01():
    assert pick(as_of=dt.date(2026, 4, 1)) == "2026"


def test_a_review_on_2026_04_01_takes_the_review_ruleset():
    assert pick(as_of=dt.date(2026, 4, 1), mode="review") == "2026-review"


def test_mode_any_serves_both_new_applications_and_reviews():
    assert pick(as_of=dt.date(2025, 1, 1), mode="review") == "2022"


def test_an_exact_mode_is_preferred_over_any():
    both = [rs("any", "2026-04-01"), rs("review-only", "2026-04-01", mode="review")]
    assert pick(both, as_of=dt.date(2026, 5, 1), mode="review") == "review-only"
    assert pick(both, as_of=dt.date(2026, 5, 1), mode="new") == "any"


def test_nothing_is_selected_before_the_first_window():
    assert pick(as_of=dt.date(2020, 1, 1)) is None


def test_draft_and_retired_rulesets_are_never_selected():
    drafts = [rs("d", "2022-01-01", status="draft"), rs("r", "2022-01-01", status="retired")]
    assert pick(drafts, as_of=dt.date(2025, 1, 1)) is None


def test_other_tiers_are_ignored():
    assert pick(as_of=dt.date(2025, 1, 1), tier="little_giant") is None


def test_the_most_specific_jurisdiction_wins():
    candidates = [rs("national", "2022-01-01"), rs("jiangsu", "2022-01-01", jurisdiction="320000"),
                  rs("suzhou", "2022-01-01", jurisdiction="320500")]
    assert pick(candidates, as_of=dt.date(2025, 1, 1), region_code="320505") == "suzhou"
    assert pick(candidates, as_of=dt.date(2025, 1, 1), region_code="320100") == "jiangsu"
    assert pick(candidates, as_of=dt.date(2025, 1, 1), region_code="440300") == "national"
    assert pick(candidates, as_of=dt.date(2025, 1, 1), region_code=None) == "national"


def test_a_regional_ruleset_does_not_apply_outside_its_region():
    assert pick([rs("suzhou", "2022-01-01", jurisdiction="320500")], as_of=dt.date(2025, 1, 1),
                region_code="320100") is None


def test_two_equally_good_candidates_are_reported_as_ambiguous():
    with pytest.raises(ValueError, match="ambiguous"):
        pick([rs("a", "2022-01-01"), rs("b", "2022-01-01")], as_of=dt.date(2025, 1, 1))


def test_an_end_before_the_start_is_rejected():
    with pytest.raises(DefinitionError):
        rs("x", "2026-01-01", "2025-01-01")


def test_node_index_lists_node_ids_in_tree_order():
    from .builders import all_, ruleset

    r = ruleset(all_("root", criterion("a", "revenue", "gte", 1), criterion("b", "listed", "is_false")))
    assert r.node_index == ("root", "a", "b")


def test_from_dict_reads_a_fixture_entry():
    entry = {"version": "v", "effective_from": "2022-06-01", "effective_to": None, "mode": "any",
             "jurisdiction": None, "status": "active", "reference": "ref", "definition": DEF}
    r = Ruleset.from_dict(entry, tier="gazelle")
    assert (r.tier, r.effective_from) == ("gazelle", dt.date(2022, 6, 1))
