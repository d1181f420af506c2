"""OpenAPI details drf-spectacular cannot infer: the error responses every operation can give, the
versioning headers (api/versioning.py), and which query parameters an empty value leaves unapplied."""

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter
from drf_spectacular.views import SpectacularSwaggerSplitView

VALIDATION_ERROR = {
    "type": "object",
    "description": "字段名 → 错误信息列表；与字段无关的错误在 non_field_errors 下。"
    "Field name → list of messages (translated by Accept-Language: zh-hans default, en).",
    "additionalProperties": {
        "oneOf": [
            {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
    "example": {"uscc": ["统一社会信用代码校验位不正确：第 18 位应为“X”，实际为“0”。"]},
}
ERROR_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
STALE_VERSION = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": ["stale"]},
        "current_version": {"type": "integer", "minimum": 1},
    },
    "required": ["detail", "code", "current_version"],
}

# status → (component, description). 400 applies everywhere because filters are validated too; its
# body names the fields, or (a body that is not JSON, a malformed If-Match header) is one `detail`.
ERRORS = {
    "400": ("BadRequestResponse", "输入无效，未做任何修改 / Invalid input, nothing was changed"),
    "401": ("ErrorDetailResponse", "未认证 / Not authenticated"),
    "403": ("ErrorDetailResponse", "无权限 / Permission denied"),
    "404": ("ErrorDetailResponse", "不存在 / Not found"),
    "429": ("ErrorDetailResponse", "请求过于频繁 / Throttled"),
}
DELETE_ERRORS = {"409": ("ErrorDetailResponse", "仍被引用，不能删除 / Still referenced, not deleted")}
WRITE_ERRORS = {"413": ("ErrorDetailResponse", "请求体过大 / Request body too large")}
VERSION_ERRORS = {
    "412": ("StaleVersionResponse", "If-Match 给出的版本已过时，未做任何修改 / Stale If-Match, nothing was changed"),
    "428": ("ErrorDetailResponse", "须提供 If-Match / If-Match required (TIDU_REQUIRE_IF_MATCH)"),
}
# The web server (gunicorn, nginx) refuses a request line over its limit (gunicorn's 4,094 bytes) before
# the application sees it, with its own HTML page.
URI_TOO_LONG = {
    "description": "请求地址过长（由 Web 服务器直接拒绝）/ Request line too long (refused by the web server)",
    "content": {"text/html": {"schema": {"type": "string"}}},
}

ETAG_DESCRIPTION = 'The record\'s version as a strong entity tag ("3"); send it back as If-Match.'
IF_MATCH_DESCRIPTION = (
    'The ETag read with the record ("3"): the write happens only if the record is still at that version, '
    "otherwise 412 with current_version. `*` matches any version."
)


DECIMAL_KEYS = ("type", "format", "pattern")


def request_decimals(result, generator, request, public):
    """Postprocessing hook: in a request, money (a decimal) is a decimal string or a JSON number, as DRF
    reads both (the README's examples send numbers); answers always give the string."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string" and prop.get("format") == "decimal":
                string = {key: prop.pop(key) for key in DECIMAL_KEYS if key in prop}
                prop["anyOf"] = [string, {"type": "number"}]
    return result


class TokenScheme(KnoxTokenScheme):
    """Our knox authentication (api/authentication.py) is documented as knox's own: `Authorization: Token …`."""

    target_class = "api.authentication.TokenAuthentication"


class TiduAutoSchema(AutoSchema):
    """AutoSchema that documents the error responses of every operation (no undocumented status), the
    ETag/If-Match headers of versioned views, and that an empty query parameter is not applied."""

    # Which of ERRORS the view can answer (a view without authentication has no 401, say).
    error_statuses = tuple(ERRORS)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        components = {
            "ErrorDetailResponse": self._component("ErrorDetailResponse", ERROR_DETAIL),
            "ValidationErrorResponse": self._component("ValidationErrorResponse", VALIDATION_ERROR),
            "StaleVersionResponse": self._component("StaleVersionResponse", STALE_VERSION),
        }
        components["BadRequestResponse"] = self._component(
            "BadRequestResponse",
            {"anyOf": [components["ValidationErrorResponse"].ref, components["ErrorDetailResponse"].ref]},
        )
        errors = {
            **{code: ERRORS[code] for code in self.error_statuses},
            **(DELETE_ERRORS if self.method == "DELETE" else {}),
            **(WRITE_ERRORS if self.method in ("POST", "PUT", "PATCH") else {}),
            **(VERSION_ERRORS if self._action() in self._if_match_actions() else {}),
        }
        for code, (name, description) in errors.items():
            operation["responses"].setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": components[name].ref}}},
            )
        operation["responses"].setdefault("414", URI_TOO_LONG)
        for parameter in operation.get("parameters", []):
            # An empty value is accepted: a filter, search or ordering given empty (`?tier=`) is not
            # applied, an empty page_size is the default and an empty cursor the first page. A page
            # number must be a number.
            if parameter["in"] == "query" and parameter["name"] != "page":
                parameter.setdefault("allowEmptyValue", True)
        return operation

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        action = self._action()
        if action in self._if_match_actions():
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    {"type": "string", "pattern": r'^(\*|(W/)?"[0-9]{1,9}")$'},
                    OpenApiParameter.HEADER,
                    required=bool(settings.TIDU.get("REQUIRE_IF_MATCH")),
                    description=IF_MATCH_DESCRIPTION,
                )
            )
        etag_statuses = getattr(self.view, "etag_actions", {}).get(action)
        if etag_statuses:
            parameters.append(
                OpenApiParameter(
                    "ETag",
                    {"type": "string", "pattern": r'^"[0-9]+"$'},
                    OpenApiParameter.HEADER,
                    required=True,
                    response=list(etag_statuses),
                    description=ETAG_DESCRIPTION,
                )
            )
        return parameters

    def get_tags(self) -> list[str]:
        # One tag per resource (/api/v1/<resource>/…) instead of a single "api" tag.
        parts = [part for part in self.path.split("/") if part]
        if len(parts) > 2 and parts[:2] == ["api", "v1"]:
            return [parts[2]]
        return super().get_tags()

    def _action(self) -> str | None:
        return getattr(self.view, "action", None)

    def _if_match_actions(self) -> frozenset:
        return frozenset(getattr(self.view, "if_match_actions", ()))

    def _component(self, name: str, schema: dict) -> ResolvedComponent:
        component = ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema)
        self.registry.register_on_missing(component)
        return component


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI, its initialiser served as a script file (``?script``) so that the Content-Security-Policy
    needs no inline script. OPTIONS answers the allowed methods: the UI's HTML renderer has nothing to
    render for DRF's metadata (that was a 500)."""

    def options(self, request, *args, **kwargs):
        return HttpResponse(status=204, headers={"Allow": "GET, HEAD, OPTIONS"})
