"""API tokens: created for a user with a name and a lifetime, shown once, revoked by deleting."""

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from tracker.models import ApiToken

MAX_DAYS = 3660


def api_token_create(*, owner, name: str, days: int | None = None, user=None) -> tuple[ApiToken, str]:
    """A new token for ``owner``; returns the row and the token, which is not stored and never shown again.

    ``user`` is who creates it (the admin user; None for a command run by the operator).
    """
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("请填写令牌名称（用途），便于日后识别和撤销。")})
    days = settings.TIDU["API_TOKEN_DAYS"] if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError({"days": _("有效天数应在 1 到 %(max)d 之间。") % {"max": MAX_DAYS}})
    if not owner.is_active:
        raise ValidationError({"user": _("该用户已停用，不能为其创建令牌。")})
    return ApiToken.objects.create(user=owner, name=name, expiry=timedelta(days=days))


def api_token_revoke(*, token: ApiToken, user=None) -> None:
    token.delete()
