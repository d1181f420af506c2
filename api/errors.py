"""Error translation: every failure the API reports is JSON with field-level messages."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import status
from rest_framework.exceptions import APIException, NotFound
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from api.versioning import stale_answer
from tracker.models.enterprises import validate_enterprise_key
from tracker.services.common import StaleVersion


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("该对象仍被其他数据引用，不能删除。")
    default_code = "protected"


class PayloadTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("请求体过大：超过 %(limit)s 字节的上限。请分批提交，或用 Excel 导入大批数据。")
    default_code = "payload_too_large"

    def __init__(self):
        super().__init__(self.default_detail % {"limit": f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,}"})


def check_enterprise_key(key: str) -> None:
    """A malformed enterprise key in a URL is a 404 that says why it names nothing."""
    try:
        validate_enterprise_key(key)
    except DjangoValidationError as exc:
        raise NotFound(exc.messages[0]) from None


def drf_validation_error(exc: DjangoValidationError) -> DRFValidationError:
    """The DRF equivalent of a model/service ValidationError, `__all__` renamed to non_field_errors."""
    detail = as_serializer_error(exc)
    if NON_FIELD_ERRORS in detail:
        detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop(NON_FIELD_ERRORS)
    return DRFValidationError(detail)


@contextmanager
def service_errors() -> Iterator[None]:
    """Report a service's ValidationError as a 400 with the same field keys."""
    try:
        yield
    except StaleVersion as exc:
        raise stale_answer(exc) from exc
    except DjangoValidationError as exc:
        raise drf_validation_error(exc) from exc


def exception_handler(exc, context):
    """DRF's handler, plus the Django errors a write can still raise (so none becomes a 500)."""
    if isinstance(exc, StaleVersion):
        exc = stale_answer(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = drf_validation_error(exc)
    elif isinstance(exc, ProtectedError | RestrictedError):
        exc = Conflict()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return drf_exception_handler(exc, context)


@csrf_exempt  # it writes nothing; CSRF's refusal of a POST would be an HTML 403 instead of the 404
def api_not_found(request, path: str = ""):
    """Any URL under /api/ that no route serves: a 404 in the error shape, never Django's HTML page.

    Being a route itself, it would stop APPEND_SLASH's redirect: a URL that exists with a final slash
    is redirected here (GET/HEAD), or named in the message (a redirect would lose a write's body).
    """
    detail = gettext("没有这个接口地址：%(path)s。接口列表见 /api/docs/。") % {"path": request.path}
    if not request.path.endswith("/"):
        try:
            with_slash = resolve(request.path + "/").func is not api_not_found
        except Resolver404:
            with_slash = False
        if with_slash and request.method in ("GET", "HEAD"):
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
        if with_slash:
            detail = gettext("接口地址须以 / 结尾：%(path)s/。") % {"path": request.path}
    return JsonResponse(
        {"detail": detail},
        status=404,
        json_dumps_params={"ensure_ascii": False},
    )
