"""What is wrong with a definition, in Chinese and located: the node and its path in the tree.

The engine (tracker/rules/, no Django) says it in English with the node's id and path
(``DefinitionError``); staff read Chinese, and a file they uploaded is found by its path
(``children[2].children[0]``), so each of the engine's messages has a Chinese template here. A message
without one is shown as the engine wrote it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.rules import DefinitionError
from tracker.rules.definition import format_path

# (the engine's message as a pattern, the Chinese template over the pattern's groups)
MESSAGES = [
    (r'unknown variable "(?P<name>.*)"', gettext_lazy("未知的变量“%(name)s”")),
    (r'unknown operator "(?P<op>.*)"', gettext_lazy("未知的运算符“%(op)s”")),
    (
        r'operator "(?P<op>.*)" does not fit variable "(?P<name>.*)" of kind (?P<kind>\w+)',
        gettext_lazy("运算符“%(op)s”不适用于变量“%(name)s”（%(kind)s 类）"),
    ),
    (r"duplicate id", gettext_lazy("编号（id）与其他节点重复")),
    (r"id must match .*", gettext_lazy("编号（id）只能由小写字母、数字和下划线组成")),
    (r"a \w+ is missing its id.*", gettext_lazy("缺少编号（id）")),
    (r"label needs both zh and en", gettext_lazy("名称（label）须同时有中文（zh）和英文（en）")),
    (
        r"label has unexpected keys: (?P<keys>.*)",
        gettext_lazy("名称（label）含有多余的键：%(keys)s（常因 YAML 中未加引号的逗号所致）"),
    ),
    (r'unknown kind "(?P<kind>.*)"', gettext_lazy("未知的节点类型（kind）“%(kind)s”")),
    (
        r'"(?P<kind>all|any)" needs a non-empty list of children',
        gettext_lazy("“%(kind)s”节点须有至少一个子节点（children）"),
    ),
    (r'"not" needs a child', gettext_lazy("“not”节点须有一个子节点（child）")),
    (r'"tier" node needs a tier code', gettext_lazy("层级要求节点须给出层级代码（tier）")),
    (r"require must be one of (?P<choices>.*)", gettext_lazy("require 须为以下之一：%(choices)s")),
    (r"a node must be a mapping, got (?P<type>\w+)", gettext_lazy("节点须为“键: 值”映射，而不是 %(type)s")),
    (r"an? (?P<what>indicator|item|band) must be a mapping", gettext_lazy("%(what)s 须为“键: 值”映射")),
    (
        r'threshold (?P<value>.*) of "(?P<name>.*)" must be a number',
        gettext_lazy("变量“%(name)s”的门槛值 %(value)s 须为数字"),
    ),
    (
        r'threshold "(?P<value>.*)" is not a choice of "(?P<name>.*)" \((?P<choices>.*)\)',
        gettext_lazy("门槛值“%(value)s”不是变量“%(name)s”的可选值（%(choices)s）"),
    ),
    (r"threshold (?P<value>.*) is not a date \(yyyy-mm-dd\)", gettext_lazy("门槛值 %(value)s 不是日期（yyyy-mm-dd）")),
    (r'threshold of "(?P<name>.*)" must be true or false', gettext_lazy("变量“%(name)s”的门槛值须为 true 或 false")),
    (r'"(?P<op>is_true|is_false)" takes no threshold', gettext_lazy("运算符“%(op)s”不带门槛值")),
    (r"between needs threshold \[low, high\]", gettext_lazy("“between”的门槛值须为 [下限, 上限]")),
    (r"between needs low <= high", gettext_lazy("区间下限不能大于上限")),
    (r"in needs a non-empty list", gettext_lazy("“in”的门槛值须为非空列表")),
    (r"bands out of order: mixes gte/gt with lte/lt", gettext_lazy("分档顺序有误：同一指标不能混用 ≥/> 与 ≤/<")),
    (
        r"bands out of order: points must not increase down the list",
        gettext_lazy("分档顺序有误：分值须逐档不增"),
    ),
    (
        r"bands out of order: gte/gt thresholds must strictly decrease",
        gettext_lazy("分档顺序有误：“≥/>”各档的门槛须逐档递减（本档须低于上一档）"),
    ),
    (
        r"bands out of order: lte/lt thresholds must strictly increase",
        gettext_lazy("分档顺序有误：“≤/<”各档的门槛须逐档递增（本档须高于上一档）"),
    ),
    (r"a band gives more than max_points", gettext_lazy("某一档的分值超过该指标的满分（max_points）")),
    (r"bands needs a non-empty list of bands", gettext_lazy("分档计分须有至少一档（bands）")),
    (r"max needs a non-empty list of items", gettext_lazy("取最高分须有至少一项（items）")),
    (r"max items must be bands or sum indicators", gettext_lazy("取最高分的各项须为分档计分或累加计分")),
    (r'unknown indicator kind "(?P<kind>.*)"', gettext_lazy("未知的指标类型（kind）“%(kind)s”")),
    (r'unknown dimension "(?P<dimension>.*)"', gettext_lazy("未知的评价维度“%(dimension)s”")),
    (r'duplicate dimension id "(?P<dimension>.*)"', gettext_lazy("评价维度编号“%(dimension)s”重复")),
    (r"dimension needs an id.*", gettext_lazy("评价维度须有编号（id），只能由小写字母、数字和下划线组成")),
    (r"score needs a non-empty list of indicators", gettext_lazy("评分节点须有至少一个指标（indicators）")),
    (r"max_points must be positive", gettext_lazy("满分（max_points）须大于 0")),
    (r'points need a number variable, "(?P<name>.*)" is of kind (?P<kind>\w+)',
     gettext_lazy("直接计分须读取数值变量，“%(name)s”是 %(kind)s 类")),
    (r"an item of a max indicator takes no dimension", gettext_lazy("取最高分的子项不带评价维度（dimension）")),
    (r"tier cycle: (?P<cycle>.*)", gettext_lazy("层级要求形成循环：%(cycle)s")),
    (r"(?P<what>\w+) must be a number", gettext_lazy("%(what)s 须为数字")),
]
_COMPILED = [(re.compile(f"^{pattern}$"), template) for pattern, template in MESSAGES]


def definition_error_text(error: DefinitionError) -> str:
    """The engine's message in Chinese (without the node or path)."""
    for pattern, template in _COMPILED:
        match = pattern.match(error.message)
        if match:
            return str(template) % match.groupdict()
    return error.message


def node_path(definition, node_id: str | None) -> tuple | None:
    """Where the node, indicator or item with this id sits in the raw tree (the first one found)."""
    if node_id is None:
        return None

    def walk(raw, path):
        if isinstance(raw, Mapping):
            if raw.get("id") == node_id:
                return path
            for key in ("children", "indicators", "items"):
                for i, child in enumerate(raw.get(key) or () if isinstance(raw.get(key), list) else ()):
                    found = walk(child, (*path, key, i))
                    if found is not None:
                        return found
            if "child" in raw:
                return walk(raw["child"], (*path, "child"))
        return None

    return walk(definition, ())


def where_text(path: tuple | None, node_id: str | None) -> str:
    """``children[1].children[0]（节点 c2_rd_ratio）``: the YAML path first, as an editor finds it."""
    place = (format_path(path) or _("根节点")) if path is not None else ""
    if place and node_id:
        return _("%(path)s（节点 %(node)s）") % {"path": place, "node": node_id}
    if node_id:
        return _("节点 %(node)s") % {"node": node_id}
    return place


class DefinitionInvalid(ValidationError):
    """A definition the engine rejects, as a ValidationError on ``definition`` in Chinese.

    Keeps the node's ``node_id``, ``path`` (in the raw tree) and ``text`` (the message alone), so a
    form can put it on the row or field it concerns, and a file upload can name the YAML path.
    """

    def __init__(self, error: DefinitionError, definition):
        self.node_id = error.node_id
        self.path = error.path if error.path is not None else node_path(definition, error.node_id)
        self.text = definition_error_text(error)
        self.where = where_text(self.path, self.node_id)
        detail = f"{self.where}：{self.text}" if self.where else self.text
        super().__init__({"definition": _("认定条件有误：%(error)s") % {"error": detail}})
