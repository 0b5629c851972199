"""The subject codes of an uploaded batch-check file: CSV (UTF-8 or GBK) or XLSX, the column
headed 统一社会信用代码 / 证件号码 (or code), else the first column when it holds codes."""

from __future__ import annotations

import csv
import io
from typing import Any

from xinyong.core.errors import InvalidInput
from xinyong.measures.checks import MAX_BATCH

# Header names of the subject-code column in an uploaded batch file (case-insensitive).
CODE_HEADERS = (
    "统一社会信用代码",
    "社会信用代码",
    "信用代码",
    "证件号码",
    "身份证号码",
    "身份证号",
    "主体代码",
    "代码",
    "code",
    "subject",
    "uscc",
    "id_number",
    "cf_xdr_shxym",
    "xk_xdr_shxym",
)


def _header_key(value: Any) -> str:
    return str(value or "").strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


def _codes_from_rows(rows: list[list[Any]]) -> list[str]:
    rows = [r for r in rows if any(str(c or "").strip() for c in r)]
    if not rows:
        return []
    header = [_header_key(c) for c in rows[0]]
    wanted = [_header_key(h) for h in CODE_HEADERS]
    column = next((i for i, h in enumerate(header) if h in wanted), None)
    if column is None:
        column = next((i for i, h in enumerate(header) if any(w in h for w in wanted[:7])), None)
    body = rows[1:]
    if column is None:
        first = str(rows[0][0] or "").strip()
        if len(first) == 18 and first.isalnum():
            column, body = 0, rows  # no header row: codes from the first row on
        else:
            raise InvalidInput(
                "No column of subject codes found (header 统一社会信用代码 or 证件号码)",
                "未找到主体代码列（表头应为“统一社会信用代码”或“证件号码”）",
                code="measures.batch_no_code_column",
                headers=[str(c) for c in rows[0]],
            )
    return [str(r[column]).strip() for r in body if column < len(r) and str(r[column] or "").strip()]


def parse_subject_file(filename: str, content: bytes) -> list[str]:
    """The subject codes of an uploaded CSV (UTF-8 or GBK) or XLSX file: the column headed
    统一社会信用代码 / 证件号码 (or code), else the first column when it holds codes."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        # Imported only for an XLSX upload: openpyxl takes about a second to import (not a cycle).
        from openpyxl import load_workbook

        try:
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:
            raise InvalidInput(
                "The XLSX file cannot be read", "XLSX 文件无法读取", code="measures.batch_bad_file"
            ) from exc
        try:
            ws = wb.worksheets[0]
            rows = [
                list(r) for _, r in zip(range(MAX_BATCH + 50), ws.iter_rows(values_only=True), strict=False)
            ]
        finally:
            wb.close()
        return _codes_from_rows(rows)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("The file is not text", "文件不是文本格式", code="measures.batch_bad_file")
    return _codes_from_rows([list(r) for r in csv.reader(io.StringIO(text))])
