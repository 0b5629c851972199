"""What no officer would accept in a cell, caught before a row is validated or stored.

- Control characters (C0 except tab, line feed and carriage return; DEL; C1) and the Unicode
  bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069, the "Trojan
  Source" characters) reject the field with a row error. The stored raw value (quarantine) keeps
  them as visible ``\\uXXXX`` escapes: PostgreSQL cannot store NUL in text or JSONB at all, and a
  stored bidi override would reorder what an officer reads on the correction page.
- A cell longer than :data:`MAX_CELL_CHARS` (Excel's own limit for one cell) rejects the field;
  the stored and echoed value is its first :data:`ECHO_CHARS` characters and its length.
- Values echoed in a row error are cut the same way (:func:`clip`), so no answer or quarantine
  row carries a value of megabytes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from xinyong.catalog.fields import VALID_FROM, VALID_UNTIL

Problem = dict[str, Any]

# Excel refuses to hold more than 32,767 characters in one cell; no catalog field needs more.
MAX_CELL_CHARS = 32_767
# A rejected value is kept and echoed as its first 200 characters plus its length.
ECHO_CHARS = 200

_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMES = {
    0x00: "NUL",
    0x07: "BEL",
    0x08: "BS",
    0x1B: "ESC",
    0x7F: "DEL",
    0x202A: "LRE",
    0x202B: "RLE",
    0x202C: "PDF",
    0x202D: "LRO",
    0x202E: "RLO",
    0x2066: "LRI",
    0x2067: "RLI",
    0x2068: "FSI",
    0x2069: "PDI",
}


def clip(value: Any) -> Any:
    """``value`` as it may be stored or echoed: a long text becomes its first 200 characters and
    its length (``…（共 N 个字符）``); anything else is returned as it is."""
    if isinstance(value, str) and len(value) > ECHO_CHARS:
        return f"{value[:ECHO_CHARS]}…（共 {len(value)} 个字符）"
    return value


def visible(text: str) -> str:
    """``text`` with every forbidden character written as a visible ``\\uXXXX`` escape."""
    return _FORBIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _char_names(text: str) -> str:
    found = sorted({ord(c) for c in _FORBIDDEN.findall(text)})
    return "、".join(_NAMES.get(cp, f"U+{cp:04X}") for cp in found[:5])


def _problem(row: int, header: str, value: str, rule: str, message: str, message_zh: str) -> Problem:
    return {
        "row": row,
        "field": None,
        "header": header,
        "value": value,
        "rule": rule,
        "message": message,
        "message_zh": message_zh,
    }


def screen(row: int, values: dict[str, Any]) -> list[Problem]:
    """Check every text cell of a row; fix ``values`` in place so it is safe to store (escaped,
    clipped) and return one error per offending cell. Most rows pass one regex search."""
    texts = [v for v in values.values() if type(v) is str]
    # One search over the whole row (tab is allowed, so it can join) and one length check.
    joined = "\t".join(texts)
    nested = [v for v in values.values() if isinstance(v, list | dict)]
    if (
        len(joined) <= MAX_CELL_CHARS
        and _FORBIDDEN.search(joined) is None
        and not any(_nested_forbidden(v) for v in nested)
        and _keys_clean(values)
    ):
        return []
    problems: list[Problem] = []
    for header in list(values):
        value = values[header]
        key = header
        if _FORBIDDEN.search(header):
            key = visible(header)
            del values[header]
            values[key] = value
            problems.append(
                _problem(
                    row,
                    key,
                    key,
                    "ingest.control_character",
                    f"The column header contains control characters ({_char_names(header)})",
                    f"表头含有不可见的控制字符（{_char_names(header)}），请删除后重新提交",
                )
            )
        if isinstance(value, list | dict) and _nested_forbidden(value):
            # A JSON list or object: kept as its (visible, clipped) text.
            values[key] = clip(str(_plain(value)))
            problems.append(
                _problem(
                    row,
                    key,
                    values[key],
                    "ingest.control_character",
                    "The value contains control characters or is too long",
                    "内容含有不可见的控制字符或过长，请更正后重新提交",
                )
            )
            continue
        if type(value) is not str:
            continue
        if len(value) > MAX_CELL_CHARS:
            values[key] = f"{visible(value[:ECHO_CHARS])}…（共 {len(value)} 个字符）"
            problems.append(
                _problem(
                    row,
                    key,
                    values[key],
                    "ingest.cell_too_long",
                    f"The cell holds {len(value)} characters (at most {MAX_CELL_CHARS})",
                    f"单元格内容长达 {len(value)} 个字符，超过上限 {MAX_CELL_CHARS} 个字符",
                )
            )
        elif _FORBIDDEN.search(value):
            names = _char_names(value)
            values[key] = visible(value)
            problems.append(
                _problem(
                    row,
                    key,
                    clip(values[key]),
                    "ingest.control_character",
                    f"The value contains control or text-direction characters ({names})",
                    f"内容含有不可见的控制字符或文字方向控制符（{names}），请删除后重新提交",
                )
            )
    return problems


_CLEAN_KEYS: set[tuple[str, ...]] = set()


def _keys_clean(values: Mapping[str, Any]) -> bool:
    # A file has one header row: its keys are searched once, not on every row.
    keys = tuple(values)
    if keys in _CLEAN_KEYS:
        return True
    if any(_FORBIDDEN.search(k) for k in keys):
        return False
    if len(_CLEAN_KEYS) < 1_000:
        _CLEAN_KEYS.add(keys)
    return True


def _nested_forbidden(value: Any) -> bool:
    if isinstance(value, str):
        return _FORBIDDEN.search(value) is not None or len(value) > MAX_CELL_CHARS
    if isinstance(value, list):
        return any(_nested_forbidden(v) for v in value)
    if isinstance(value, dict):
        return any(_nested_forbidden(k) or _nested_forbidden(v) for k, v in value.items())
    return False


def _plain(value: Any) -> Any:
    """A nested JSON value with its strings made visible (for the text kept of it)."""
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {visible(str(k)): _plain(v) for k, v in value.items()}
    return value


def validity_order(row: int, data: Mapping[str, Any], fields: Mapping[str, Any]) -> Problem | None:
    """A validity period must not end before it starts (有效期至 before 有效期自)."""
    start, end = data.get(VALID_FROM), data.get(VALID_UNTIL)
    if not isinstance(start, str) or not isinstance(end, str) or end >= start:  # ISO dates
        return None
    spec = fields.get(VALID_UNTIL)
    name = getattr(spec, "name_zh", "有效期至")
    start_name = getattr(fields.get(VALID_FROM), "name_zh", "有效期自")
    return {
        "row": row,
        "field": VALID_UNTIL,
        "header": name,
        "value": end,
        "rule": "ingest.validity_reversed",
        "message": f"The validity ends ({end}) before it starts ({start})",
        "message_zh": f"“{name}”（{end}）早于“{start_name}”（{start}）",
    }
