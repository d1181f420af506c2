"""Optimistic concurrency over HTTP: ``ETag`` out, ``If-Match`` in (RFC 9110 §8.8.3, §13.1.1).

A versioned record (tracker/models/versioning.py) is sent with a strong ``ETag: "<version>"`` on a detail
read and on every write's answer. A PUT, PATCH or DELETE that sends ``If-Match: "<version>"`` is applied
only if the record is still at that version, checked by the service on the locked row; otherwise the
answer is 412 with the current version and ETag. ``If-Match: *`` matches any version; a weak tag
(``W/"3"``) is read as its version too, as clients echo what they were sent. Without If-Match a write
still writes only its own fields (the service applies them to the row as stored now); with
``TIDU["REQUIRE_IF_MATCH"]`` on, it is answered 428 instead.
"""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from tracker.services.common import StaleVersion


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale"

    def __init__(self, *, message: str, current_version: int):
        super().__init__()
        self.detail = {"detail": message, "code": "stale", "current_version": current_version}
        self.current_version = current_version


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("修改或删除此记录须在请求头 If-Match 中给出读取时得到的 ETag。")
    default_code = "if_match_required"


class MalformedIfMatch(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _('If-Match 请求头应为读取时得到的 ETag，如 "3"。')
    default_code = "if_match_malformed"


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(header: str | None) -> int | None:
    """The version an If-Match header names; None when absent or ``*`` (any version)."""
    if header is None or header.strip() == "*":
        return None
    tag = header.split(",")[0].strip()  # one record has one current version: the first tag is the one
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    if not (tag.isascii() and tag.isdigit() and len(tag) < 10):
        raise MalformedIfMatch
    return int(tag)


def stale_answer(error: StaleVersion) -> PreconditionFailed:
    return PreconditionFailed(message=error.messages[0], current_version=error.current_version)


class VersionedViewMixin:
    """For a ModelViewSet of a versioned model whose writes call services taking ``expected_version=``:
    ETag on reads and writes, If-Match passed to the service, 412 from a StaleVersion.

    ``if_match_actions`` and ``etag_actions`` (action → the statuses that carry the ETag) are what the
    schema documents (api/schema.py); a view with other writes names them too.
    """

    if_match_actions: tuple[str, ...] = ("update", "partial_update", "destroy")
    etag_actions: dict[str, tuple[int, ...]] = {
        "retrieve": (200,),
        "create": (201,),
        "update": (200,),
        "partial_update": (200,),
    }

    def expected_version(self) -> int | None:
        header = self.request.headers.get("If-Match")
        if header is None and settings.TIDU.get("REQUIRE_IF_MATCH"):
            raise PreconditionRequired
        return parse_if_match(header)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        version = getattr(self, "_answered_version", None)
        exc = getattr(response, "exception", False)
        if isinstance(getattr(self, "_precondition_failed", None), PreconditionFailed) and exc:
            response["ETag"] = etag(self._precondition_failed.current_version)
        elif version is not None and response.status_code < 300:
            response["ETag"] = etag(version)
        return response

    def handle_exception(self, exc):
        if isinstance(exc, PreconditionFailed):
            self._precondition_failed = exc
        return super().handle_exception(exc)

    def answered(self, instance) -> None:
        """Mark ``instance`` as the record this response stands for (its version becomes the ETag)."""
        self._answered_version = getattr(instance, "version", None)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.answered(instance)
        return Response(self.get_serializer(instance).data)
