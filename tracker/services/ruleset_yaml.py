"""A draft's definition as a YAML file: downloaded to change its structure, uploaded to replace it.

The file is the definition tree alone (docs/rules-format.md, "Nodes"), written in the key order of the
shipped fixtures (id, kind, label, reference, …) so it reads like them. An upload is validated and
written as every definition change is (``ruleset_definition_replace``); an error names the YAML path
of the bad node and its line. Uploading the downloaded file unchanged changes nothing.
"""

from __future__ import annotations

import json

import yaml
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import Ruleset
from tracker.services.ruleset_errors import DefinitionInvalid
from tracker.services.rulesets import ruleset_definition_replace

MAX_BYTES = 1_000_000  # the largest shipped definition is ~40 kB
KEY_ORDER = (
    "id", "kind", "label", "reference", "variable", "op", "threshold", "points", "tier", "require", "dimension",
    "max_points", "min_total", "min", "cap", "otherwise", "dimensions", "bands", "indicators", "items", "child",
    "children", "zh", "en",
)
_RANK = {key: n for n, key in enumerate(KEY_ORDER)}


class _Flow(dict):
    """A small mapping written on one line: a label, a band, a dimension."""


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(_Flow, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, True))


def _ordered(value, *, flow: bool = False):
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (_RANK.get(kv[0], len(_RANK)), str(kv[0])))
        ordered = {k: _ordered(v, flow=k in ("label",)) for k, v in items}
        return _Flow(ordered) if flow else ordered
    if isinstance(value, list):
        return [_ordered(v, flow=isinstance(v, dict) and not _is_node(v)) for v in value]
    return value


def _is_node(value: dict) -> bool:
    """A node, indicator or item (written as a block); a band or dimension is written on one line."""
    return ("id" in value and ("kind" in value or "variable" in value)) or "children" in value


def definition_yaml(ruleset: Ruleset) -> str:
    """The ruleset's definition as YAML, headed by comments saying which ruleset and revision it is."""
    body = yaml.dump(
        _ordered(ruleset.definition), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000
    )
    header = [
        _("# 认定标准 %(tier)s %(version)s（%(status)s，第 %(revision)s 次修订），导出于 %(time)s")
        % {
            "tier": ruleset.tier_id,
            "version": ruleset.version,
            "status": ruleset.get_status_display(),
            "revision": ruleset.revision,
            "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        },
        _("# 本文件是认定条件树（格式见 docs/rules-format.md）。上传到草稿即整体替换其认定条件，校验与导入相同。"),
    ]
    return "\n".join(header) + "\n" + body


class _Loader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (YAML keeps the last one silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=True)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, _("键“%(key)s”重复") % {"key": key}, key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def definition_from_yaml(content: bytes | str) -> dict:
    """Parse an uploaded file into a definition (as the JSONField stores it), or a ValidationError."""
    text = _text(content)
    try:
        definition = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        if mark is None:
            raise ValidationError(_("YAML 格式有误：%(problem)s") % {"problem": problem}) from None
        raise ValidationError(
            _("YAML 格式有误（第 %(line)s 行第 %(column)s 列）：%(problem)s")
            % {"line": mark.line + 1, "column": mark.column + 1, "problem": problem}
        ) from None
    if not isinstance(definition, dict):
        raise ValidationError(_("文件内容须为一个认定条件节点：以 id、kind、label 等开头的“键: 值”映射。"))
    try:
        # A YAML date becomes its ISO string, as the fixtures' loader stores it; .nan or a set cannot be stored.
        return json.loads(json.dumps(definition, default=_json_default, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError(_("文件含有无法保存的值：%(error)s") % {"error": error}) from None


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(_("%(type)s 类型的值") % {"type": type(value).__name__})


def _text(content: bytes | str) -> str:
    if isinstance(content, str):
        return content
    if len(content) > MAX_BYTES:
        raise ValidationError(_("文件过大（超过 %(size)s KB）。") % {"size": MAX_BYTES // 1000})
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("文件须为 UTF-8 编码的文本。")) from None


def line_of(content: bytes | str, path: tuple | None) -> int | None:
    """The line (1-based) where the node at ``path`` starts in the file, when it can be found."""
    if path is None:
        return None
    try:
        node = yaml.compose(_text(content), Loader=yaml.SafeLoader)
        for step in path:
            if isinstance(node, yaml.MappingNode):
                node = next(value for key, value in node.value if key.value == step)
            elif isinstance(node, yaml.SequenceNode):
                node = node.value[step]
            else:
                return None
    except (yaml.YAMLError, ValidationError, StopIteration, IndexError, TypeError):
        return None
    return node.start_mark.line + 1


def ruleset_yaml_upload(
    *, ruleset: Ruleset, content: bytes | str, user=None, expected_revision: int | None = None, name: str = ""
) -> bool:
    """Replace a draft's definition by an uploaded YAML file. Returns False when it is unchanged.

    Raises ValidationError for a file that is not YAML or not a mapping, and ``DefinitionInvalid`` with
    ``line`` (the line of the bad node in the file) when the engine rejects the definition.
    """
    definition = definition_from_yaml(content)
    try:
        return ruleset_definition_replace(
            ruleset=ruleset,
            definition=definition,
            user=user,
            expected_revision=expected_revision,
            reason=_("上传 YAML：%(name)s") % {"name": name} if name else _("上传 YAML"),
        )
    except DefinitionInvalid as error:
        error.line = line_of(content, error.path)
        raise
