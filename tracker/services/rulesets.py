"""Writing criteria: validating a definition, replacing a draft's, and copying a ruleset as a new draft.

Every change to a definition (the admin's table, a YAML upload, the command) goes through
``ruleset_definition_replace``: on the locked row, only on a draft (an active or retired ruleset is an
official record), validated as the loader validates (the engine's parser, then tier cycles against the
rulesets in force), with the revision bumped and who and why in the history. The catalogue itself is a
read: tracker/selectors/rulesets.py.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils.translation import gettext as _

from tracker import rules
from tracker.models import Ruleset
from tracker.selectors.rulesets import RulesetCatalog
from tracker.services.ruleset_errors import DefinitionInvalid

DRAFT_SUFFIX = "-draft"


def ruleset_validate(*, definition: dict, tier: str | None = None) -> None:
    """Raise a ``DefinitionInvalid`` (a ValidationError on ``definition``) naming the node and its path.

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
        raise DefinitionInvalid(exc, definition) from None


class RevisionStale(ValidationError):
    """The writer saw an older revision than the one stored: someone else changed the criteria since."""

    def __init__(self, *, current: Ruleset, expected: int):
        self.current = current
        super().__init__(
            _(
                "此认定标准已被他人修改：您打开的是第 %(expected)s 次修订，当前为第 %(current)s 次。"
                "本次保存未写入，请重新打开后再修改。"
            )
            % {"expected": expected, "current": current.revision},
            code="stale",
        )


def json_normalised(definition):
    """The definition as the JSONField stores it (a YAML date becomes its ISO string), so comparing a
    new definition with the stored one tells whether anything changed."""
    return json.loads(json.dumps(definition, cls=DjangoJSONEncoder))


def ruleset_definition_replace(
    *, ruleset: Ruleset, definition: dict, user=None, expected_revision: int | None = None, reason: str = ""
) -> bool:
    """Replace a draft's whole definition. Returns False, writing nothing, when it is unchanged.

    Raises ValidationError when the ruleset is not a draft, ``RevisionStale`` when ``expected_revision``
    is not the stored one, and ``DefinitionInvalid`` (naming the node and its path) when the engine
    rejects the definition; nothing is written then.
    """
    definition = json_normalised(definition)
    return ruleset_definition_change(
        ruleset=ruleset,
        change=lambda _stored: definition,
        user=user,
        expected_revision=expected_revision,
        reason=reason,
    )


def ruleset_definition_change(
    *,
    ruleset: Ruleset,
    change: Callable[[dict], dict],
    user=None,
    expected_revision: int | None = None,
    reason: str | Callable[[], str] = "",
) -> bool:
    """Apply ``change`` (stored definition → new definition) to the draft as stored now, on the locked
    row; see ``ruleset_definition_replace``. ``change`` receives a copy it may modify; ``reason`` may be
    a callable, asked after ``change`` (when what changed is known)."""
    with transaction.atomic():
        current = Ruleset.objects.select_for_update(of=("self",)).get(pk=ruleset.pk)
        draft_check(current)
        if expected_revision is not None and current.revision != expected_revision:
            raise RevisionStale(current=current, expected=expected_revision)
        definition = change(json_normalised(current.definition))
        ruleset_validate(definition=definition, tier=current.tier_id)
        if definition == current.definition:
            return False
        current.definition = definition
        current.revision += 1
        if user is not None and getattr(user, "is_authenticated", False):
            current._history_user = user
        current._change_reason = reason() if callable(reason) else reason
        current.save(update_fields=["definition", "revision"])
    ruleset.definition, ruleset.revision = current.definition, current.revision
    return True


def draft_check(ruleset: Ruleset) -> None:
    """Refuse to change the criteria of an active or retired ruleset: they are official records."""
    if ruleset.status != Ruleset.Status.DRAFT:
        raise ValidationError(
            _("“%(ruleset)s”%(status)s，是正式记录，其认定条件不能修改；请复制为新草稿后修改。")
            % {"ruleset": ruleset, "status": _("已生效") if ruleset.status == Ruleset.Status.ACTIVE else _("已废止")},
            code="not_draft",
        )


def draft_version(ruleset: Ruleset) -> str:
    """The first free "<version>-draft", "-draft2", … for the ruleset's tier (fits max_length)."""
    max_length = Ruleset._meta.get_field("version").max_length
    taken = set(Ruleset.objects.filter(tier_id=ruleset.tier_id).values_list("version", flat=True))
    for n in range(1, 1000):
        suffix = DRAFT_SUFFIX if n == 1 else f"{DRAFT_SUFFIX}{n}"
        candidate = ruleset.version[: max_length - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
    raise ValidationError(_("无法为该版本生成新的草稿名称。"))


_KEEP = object()


def ruleset_copy_as_draft(
    *,
    ruleset: Ruleset,
    user=None,
    version: str | None = None,
    effective_from: dt.date | None = None,
    effective_to=_KEEP,
) -> Ruleset:
    """A new draft with the ruleset's criteria, to be changed and activated as a new version.

    ``version`` defaults to the next free "<version>-draft"; the dates default to the original's (a new
    version usually takes a new ``effective_from`` and an open ``effective_to``).
    """
    draft = Ruleset(
        tier=ruleset.tier,
        version=version or draft_version(ruleset),
        effective_from=effective_from or ruleset.effective_from,
        effective_to=ruleset.effective_to if effective_to is _KEEP else effective_to,
        mode=ruleset.mode,
        granted_from=ruleset.granted_from,
        granted_to=ruleset.granted_to,
        jurisdiction=ruleset.jurisdiction,
        status=Ruleset.Status.DRAFT,
        reference=ruleset.reference,
        definition=ruleset.definition,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    draft.full_clean()
    if draft.created_by is not None:
        draft._history_user = user
    draft._change_reason = _("复制自 %(version)s") % {"version": ruleset.version}
    draft.save()
    return draft
