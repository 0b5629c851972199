"""The downloadable XLSX template of a catalog item.

Layout chosen so the ingest parser reads the file as-is: the FIRST sheet has ONE header row of
Chinese field names (required ones end in "*", which header resolution ignores), national field
codes and notes in cell comments, enum dropdowns, and one example row. A second sheet 说明
explains every field; a hidden sheet 枚举 holds the dropdown lists (inline lists are capped at
255 characters by Excel).
"""

from __future__ import annotations

import re
from io import BytesIO
from typing import Any

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from xinyong.catalog.service import CatalogItem, FieldSpec

ENUM_SHEET = "枚举"
NOTES_SHEET = "说明"
EXAMPLE_SHEET = "填写示例（不导入）"
REQUIRED_MARK = "*"
TEMPLATE_ROWS = 1000  # rows that get dropdowns

_NATIONAL_CODE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")
_TYPE_ZH = {
    "string": "文本",
    "text": "长文本",
    "date": "日期（如 2025-06-10）",
    "decimal": "数字",
    "integer": "整数",
    "enum": "单选（见下拉列表）",
    "enum_multi": "多选（多个用“;”分隔）",
    "uscc": "统一社会信用代码（18位）",
    "id_number": "证件号码",
}
_DISCLOSURE_ZH = {
    "public": "公开",
    "on_request": "依申请公开",
    "government": "政务共享",
    "confidential": "不予公开",
}
_REQUIRED_FILL = PatternFill("solid", fgColor="FDE2E1")
_OPTIONAL_FILL = PatternFill("solid", fgColor="E8EEF7")


def national_codes(spec: FieldSpec) -> list[str]:
    """The national 双公示 codes among a field's aliases (XK_*, CF_*, BZ, DFBM ...)."""
    return [a for a in spec.aliases if _NATIONAL_CODE.match(a)]


def header_text(spec: FieldSpec) -> str:
    return spec.name_zh + (REQUIRED_MARK if spec.required else "")


def build_template(item: CatalogItem) -> bytes:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = item.name_zh[:31]
    # The example row is on a sheet of its own, never below the header: ingest reads only the
    # first sheet, so a template sent back unchanged (or with the example left in) adds nothing.
    sample = wb.create_sheet(EXAMPLE_SHEET)
    notes = wb.create_sheet(NOTES_SHEET)
    enums = wb.create_sheet(ENUM_SHEET)
    enums.sheet_state = "hidden"

    enum_col = 0
    for col, spec in enumerate(item.fields, start=1):
        letter = get_column_letter(col)
        cell = ws.cell(row=1, column=col, value=header_text(spec))
        cell.font = Font(bold=True)
        cell.fill = _REQUIRED_FILL if spec.required else _OPTIONAL_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.comment = Comment(_comment(spec), "Xinyong", width=320, height=160)
        ws.column_dimensions[letter].width = max(12, min(40, len(spec.name_zh) * 2 + 4))

        sample.cell(row=1, column=col, value=header_text(spec)).font = Font(bold=True)
        sample.column_dimensions[letter].width = ws.column_dimensions[letter].width
        example = _example_value(spec)
        if example is not None:
            ex = sample.cell(row=2, column=col, value=example)
            if isinstance(example, str):
                ex.number_format = "@"  # keep codes like "01" and 18-digit USCCs as text

        if spec.enum:
            enum_col += 1
            e_letter = get_column_letter(enum_col)
            enums.cell(row=1, column=enum_col, value=spec.name_zh)
            for r, opt in enumerate(spec.enum, start=2):
                enums.cell(row=r, column=enum_col, value=opt.label)
            ref = f"{quote_sheetname(ENUM_SHEET)}!${e_letter}$2:${e_letter}${len(spec.enum) + 1}"
            multi = spec.type == "enum_multi"
            dv = DataValidation(
                type="list",
                formula1=ref,
                allow_blank=not spec.required,
                # Several 处罚类别 are typed as "警告;罚款": the list then only suggests.
                showErrorMessage=not multi,
                errorTitle="取值不在可选范围内",
                error="请从下拉列表中选择",
                promptTitle=spec.name_zh,
                prompt="可多选，多个用“;”分隔" if multi else "请从下拉列表中选择",
                showInputMessage=True,
            )
            dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
            ws.add_data_validation(dv)

    ws.freeze_panes = "A2"
    ws.row_dimensions[1].height = 32
    _write_notes(notes, item)
    wb.active = 0

    buf = BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _comment(spec: FieldSpec) -> str:
    lines = []
    codes = national_codes(spec)
    if codes:
        lines.append("国家标准代码：" + " / ".join(codes))
    lines.append(f"字段代码：{spec.code}")
    lines.append(("必填" if spec.required else "选填") + f"；{_TYPE_ZH[spec.type]}")
    if spec.description:
        lines.append(spec.description)
    return "\n".join(lines)


def _example_value(spec: FieldSpec) -> Any:
    if spec.example is None:
        return None
    if spec.type == "decimal":
        return float(spec.example)
    if spec.type == "integer":
        return int(spec.example)
    return spec.example


def _write_notes(ws: Any, item: CatalogItem) -> None:
    ws.cell(row=1, column=1, value=f"《{item.name_zh}》数据报送模板说明").font = Font(bold=True, size=14)
    intro = [
        ("目录项代码", item.code),
        ("信息类别", item.category),
        ("依据", item.source),
        ("生效日期", item.effective_from.isoformat()),
        (
            "填写说明",
            "第一个工作表第1行为表头，请勿修改，从第2行起填写数据；带“*”的列必填。"
            f"填写示例见工作表“{EXAMPLE_SHEET}”，该表不会被导入。"
            "表头也可使用国家标准代码（如 CF_XDR_MC）或本平台字段代码；日期填 YYYY-MM-DD。",
        ),
    ]
    for r, (k, v) in enumerate(intro, start=2):
        ws.cell(row=r, column=1, value=k).font = Font(bold=True)
        ws.cell(row=r, column=2, value=v)
    header_row = len(intro) + 3
    columns = ["表头（列名）", "国家标准代码", "字段代码", "类型", "是否必填", "公开属性", "可选值", "说明"]
    for c, title in enumerate(columns, start=1):
        cell = ws.cell(row=header_row, column=c, value=title)
        cell.font = Font(bold=True)
        cell.fill = _OPTIONAL_FILL
    for r, spec in enumerate(item.fields, start=header_row + 1):
        values = [
            header_text(spec),
            " / ".join(national_codes(spec)),
            spec.code,
            _TYPE_ZH[spec.type],
            "必填" if spec.required else "选填",
            _DISCLOSURE_ZH[spec.disclosure],
            "、".join(o.label for o in spec.enum or []),
            spec.description,
        ]
        for c, v in enumerate(values, start=1):
            ws.cell(row=r, column=c, value=v).alignment = Alignment(wrap_text=True, vertical="top")
    for c, width in enumerate([28, 30, 30, 22, 10, 12, 40, 50], start=1):
        ws.column_dimensions[get_column_letter(c)].width = width
