"""The page django-axes shows after too many failed admin logins (its own text is English only)."""

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _


def lockout_response(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    message = _(
        "登录失败次数过多（连续 %(limit)d 次），该账号在此地址的登录已被锁定 %(minutes)d 分钟。"
        "请稍后再试，或请系统管理员解锁。"
    ) % {"limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "lockout.html", {"message": message, "title": _("登录已锁定")}, status=429)
