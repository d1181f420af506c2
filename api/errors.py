"""Error translation: every failure the API reports is JSON with field-level messages."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.serializers import as_serializer_error
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from api.versioning import stale_answer
from tracker.services.common import StaleVersion


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("该对象仍被其他数据引用，不能删除。")
    default_code = "protected"


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
    return drf_exception_handler(exc, context)
