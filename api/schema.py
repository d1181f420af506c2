"""OpenAPI details drf-spectacular cannot infer: the error responses every operation can give."""

from django.http import HttpResponse
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
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

# status → (component, description); 400 applies everywhere because filters are validated too.
ERRORS = {
    "400": ("ValidationErrorResponse", "输入无效，未做任何修改 / Invalid input, nothing was changed"),
    "401": ("ErrorDetailResponse", "未认证 / Not authenticated"),
    "403": ("ErrorDetailResponse", "无权限 / Permission denied"),
    "404": ("ErrorDetailResponse", "不存在 / Not found"),
    "429": ("ErrorDetailResponse", "请求过于频繁 / Throttled"),
}
DELETE_ERRORS = {"409": ("ErrorDetailResponse", "仍被引用，不能删除 / Still referenced, not deleted")}
WRITE_ERRORS = {"413": ("ErrorDetailResponse", "请求体过大 / Request body too large")}


class TokenScheme(KnoxTokenScheme):
    """Our knox authentication (api/authentication.py) is documented as knox's own: `Authorization: Token …`."""

    target_class = "api.authentication.TokenAuthentication"


class TiduAutoSchema(AutoSchema):
    """AutoSchema that documents the error responses of every operation (no undocumented status)."""

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        components = {
            "ValidationErrorResponse": self._component("ValidationErrorResponse", VALIDATION_ERROR),
            "ErrorDetailResponse": self._component("ErrorDetailResponse", ERROR_DETAIL),
        }
        errors = {
            **ERRORS,
            **(DELETE_ERRORS if self.method == "DELETE" else {}),
            **(WRITE_ERRORS if self.method in ("POST", "PUT", "PATCH") else {}),
        }
        for code, (name, description) in errors.items():
            operation["responses"].setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": components[name].ref}}},
            )
        return operation

    def get_tags(self) -> list[str]:
        # One tag per resource (/api/v1/<resource>/…) instead of a single "api" tag.
        parts = [part for part in self.path.split("/") if part]
        if len(parts) > 2 and parts[:2] == ["api", "v1"]:
            return [parts[2]]
        return super().get_tags()

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
