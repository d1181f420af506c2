import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tracker.services.rulesets import ruleset_validate

pytestmark = pytest.mark.django_db

REQUIRES_LITTLE_GIANT = {
    "id": "root",
    "kind": "tier",
    "label": {"zh": "须为小巨人", "en": "Must be a little giant"},
    "reference": "test",
    "tier": "little_giant",
    "require": "eligible",
}


def test_a_definition_naming_an_unknown_variable_is_rejected_with_the_node():
    definition = {
        "id": "revenue_floor", "kind": "test", "label": {"zh": "营收", "en": "Revenue"}, "reference": "x",
        "variable": "revenu", "op": "gte", "threshold": 1,
    }
    with pytest.raises(ValidationError) as excinfo:
        ruleset_validate(definition=definition)
    message = excinfo.value.message_dict["definition"][0]
    assert "revenue_floor" in message and "revenu" in message


def test_a_draft_that_would_make_two_tiers_require_each_other_is_rejected():
    call_command("bootstrap", verbosity=0)  # active little_giant rulesets require specialized_sme
    with pytest.raises(ValidationError) as excinfo:
        ruleset_validate(definition=REQUIRES_LITTLE_GIANT, tier="specialized_sme")
    assert "root" in excinfo.value.message_dict["definition"][0]


def test_the_same_draft_for_a_tier_outside_the_cycle_is_accepted():
    call_command("bootstrap", verbosity=0)
    ruleset_validate(definition=REQUIRES_LITTLE_GIANT, tier="gazelle")
