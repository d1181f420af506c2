"""API tokens for other systems (django-rest-knox): stored hashed, expiring, named, several per user.

Knox keeps only a SHA-512 digest and the first 15 characters (to tell tokens apart); the token itself is
shown once, when it is created (tracker/services/tokens.py), and can never be read back. Revoking is
deleting the row. This model is knox's token model (``KNOX_TOKEN_MODEL``) with a name added.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken

from tracker.text import validate_no_control_characters


class ApiToken(AbstractAuthToken):
    name = models.CharField(
        _("名称"),
        max_length=100,
        help_text=_("用途，如“南京市数据平台（生产）”。"),
        validators=[validate_no_control_characters],
    )

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["user_id", "-created"]

    def __str__(self) -> str:
        return f"{self.name}（{self.user}，{self.token_key}…）"

    @property
    def expired(self) -> bool:
        return self.expiry is not None and self.expiry <= timezone.now()
