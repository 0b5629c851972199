"""What the API tells a person who sent a request it cannot take: one Chinese sentence per
validation error (「缺少必填字段 subject_code」, 「limit 不能小于 1」), and a malformed JSON body named
as such, with the character where parsing stopped. Pydantic's English ``msg`` stays beside it in
``message``; ``rule`` keeps pydantic's error type, which clients may match on."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

# Pydantic error types → a Chinese sentence. ``{field}`` is the dotted field name; other
# placeholders come from the error's ``ctx``. Types not listed fall back to a generic sentence.
_ZH: dict[str, str] = {
    "missing": "缺少必填字段 {field}",
    "int_parsing": "{field} 应为整数",
    "int_type": "{field} 应为整数",
    "int_from_float": "{field} 应为整数，不能带小数",
    "float_parsing": "{field} 应为数字",
    "float_type": "{field} 应为数字",
    "decimal_parsing": "{field} 应为数字",
    "bool_parsing": "{field} 应为 true 或 false",
    "bool_type": "{field} 应为 true 或 false",
    "string_type": "{field} 应为文本",
    "string_too_short": "{field} 至少 {min_length} 个字符",
    "string_too_long": "{field} 不能超过 {max_length} 个字符",
    "string_pattern_mismatch": "{field} 的格式不符合要求",
    "greater_than": "{field} 必须大于 {gt}",
    "greater_than_equal": "{field} 不能小于 {ge}",
    "less_than": "{field} 必须小于 {lt}",
    "less_than_equal": "{field} 不能大于 {le}",
    "too_short": "{field} 至少需要 {min_length} 项",
    "too_long": "{field} 最多 {max_length} 项",
    "list_type": "{field} 应为列表",
    "dict_type": "{field} 应为对象",
    "model_type": "{field} 应为对象",
    "model_attributes_type": "{field} 应为对象",
    "date_parsing": "{field} 应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "{field} 应为日期（YYYY-MM-DD）",
    "date_type": "{field} 应为日期（YYYY-MM-DD）",
    "datetime_parsing": "{field} 应为日期时间（RFC 3339，如 2026-12-07T09:30:00+08:00）",
    "datetime_from_date_parsing": "{field} 应为日期时间（RFC 3339，如 2026-12-07T09:30:00+08:00）",
    "datetime_type": "{field} 应为日期时间（RFC 3339，如 2026-12-07T09:30:00+08:00）",
    "enum": "{field} 只能取 {expected}",
    "literal_error": "{field} 只能取 {expected}",
    "extra_forbidden": "不认识的字段 {field}",
    "uuid_parsing": "{field} 应为 UUID",
    "url_parsing": "{field} 应为网址",
    "value_error": "{field} 不符合要求：{error}",
    "assertion_error": "{field} 不符合要求",
    "json_invalid": "请求体不是合法的 JSON（第 {position} 个字符）",
    "json_type": "请求体应为 JSON",
}


def field_name(loc: Sequence[Any]) -> str:
    """``("body", "rows", 0, "subject_code")`` → ``rows.0.subject_code`` (the part the client
    wrote: body/query/path are where, not what)."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "请求体"


def _json_position(err: Mapping[str, Any]) -> int | None:
    ctx = err.get("ctx") or {}
    error = ctx.get("error")
    if isinstance(error, json.JSONDecodeError):
        return error.pos + 1
    pos = ctx.get("position") or (err.get("loc") or (None, None))[-1]
    return pos + 1 if isinstance(pos, int) else None


def message_zh(err: Mapping[str, Any]) -> str:
    """The Chinese sentence for one pydantic/FastAPI validation error."""
    kind = str(err.get("type") or "")
    field = field_name(err.get("loc") or ())
    if kind == "json_invalid":
        pos = _json_position(err)
        return f"请求体不是合法的 JSON（第 {pos} 个字符）" if pos else "请求体不是合法的 JSON"
    template = _ZH.get(kind)
    if template is None:
        return f"{field} 不符合要求"
    values: dict[str, Any] = {"field": field}
    for key, value in (err.get("ctx") or {}).items():
        values[key] = value
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError):
        return f"{field} 不符合要求"


def describe(errors: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each validation error as ``{field, value, rule, message, message_zh}``. The value is echoed
    only when it is a short scalar (a rejected 300-million-character string is not sent back)."""
    out = []
    for err in errors:
        raw = err.get("input")
        value = (
            raw if isinstance(raw, int | float | None) or (isinstance(raw, str) and len(raw) <= 200) else None
        )
        if err.get("type") == "json_invalid":
            value = None
        out.append(
            {
                "field": field_name(err.get("loc") or ()),
                "value": value,
                "rule": err.get("type"),
                "message": err.get("msg"),
                "message_zh": message_zh(err),
            }
        )
    return out


def summary_zh(errors: Sequence[Mapping[str, Any]]) -> str:
    """The top-level ``message_zh``: the first problem in words, and how many more."""
    described = [message_zh(e) for e in errors]
    if not described:
        return "请求数据校验未通过"
    more = f"（另有 {len(described) - 1} 处问题）" if len(described) > 1 else ""
    return f"请求数据校验未通过：{described[0]}{more}"
