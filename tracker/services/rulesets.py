"""Validating criteria before they are stored (the catalogue itself is a read: tracker/selectors/rulesets.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tracker import rules
from tracker.selectors.rulesets import RulesetCatalog


def ruleset_validate(*, definition: dict, tier: str | None = None) -> None:
    """Raise a ValidationError on the ``definition`` field naming the offending node.

    With ``tier`` given, the definition is also checked against the active rulesets of the other
    tiers, so a draft that would make two tiers require each other is rejected when saved.
    """
    try:
        rules.parse_definition(definition)
        if tier is not None:
            draft = rules.Ruleset(tier=tier, version="draft", effective_from="2000-01-01", definition=definition)
            others = [r for r in RulesetCatalog.active().engine.values() if r.tier != tier]
            rules.validate_rulesets([*others, draft])
    except rules.DefinitionError as exc:
        raise ValidationError({"definition": _("认定条件有误：%(error)s") % {"error": exc}}) from None
