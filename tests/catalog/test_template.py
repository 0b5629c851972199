"""The XLSX template: Chinese headers, codes in comments, dropdowns, a valid example row on a sheet
of its own, and the ingest parser reads the template back as-is with no data row (the example is
never ingested)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.catalog.conftest import ITEMS
from xinyong.catalog.service import Catalog, normalise_enum, xlsx_template
from xinyong.catalog.template import EXAMPLE_SHEET
from xinyong.core.identifiers import check_uscc
from xinyong.ingest.parsing import open_table
from xinyong.ingest.validation import RowValidator


@pytest.mark.parametrize("code", ITEMS)
def test_template_round_trips(catalog: Catalog, code: str) -> None:
    item = catalog.item(code)
    wb = load_workbook(io.BytesIO(xlsx_template(code)))
    assert wb.sheetnames[:3] == [item.name_zh, EXAMPLE_SHEET, "说明"]
    ws = wb.worksheets[0]
    assert ws.max_row == 1  # the data sheet holds the header only
    headers = [c.value for c in ws[1]]
    sample = wb[EXAMPLE_SHEET]
    assert [c.value for c in sample[1]] == headers
    assert [catalog.resolve_header(code, h) for h in headers] == [f.code for f in item.fields]
    for spec, header in zip(item.fields, headers, strict=True):
        assert header.endswith("*") == spec.required
    example = {spec.code: c.value for spec, c in zip(item.fields, sample[2], strict=True)}
    for spec in item.required_fields():
        assert example[spec.code] not in (None, ""), spec.code
    for spec in item.fields:
        if spec.enum and example[spec.code] is not None:
            assert normalise_enum(spec, example[spec.code]) is not None, spec.code
        if spec.type == "uscc" and example[spec.code]:
            assert check_uscc(example[spec.code]).valid, spec.code
    assert sample.max_row == 2


def test_national_codes_are_in_comments_and_enums_have_dropdowns(catalog: Catalog) -> None:
    wb = load_workbook(io.BytesIO(xlsx_template("administrative_penalty")))
    ws = wb.worksheets[0]
    by_header = {c.value: c for c in ws[1]}
    assert by_header["行政相对人名称*"].comment is not None
    assert "CF_XDR_MC" in by_header["行政相对人名称*"].comment.text
    assert "CF_CFLB1" in by_header["处罚类别*"].comment.text  # the old edition's code too
    validations = ws.data_validations.dataValidation
    assert len(validations) == sum(1 for f in catalog.item("administrative_penalty").fields if f.enum)
    assert all(v.type == "list" and "枚举" in (v.formula1 or "") for v in validations)
    assert wb["枚举"].sheet_state == "hidden"
    enum_values = [c.value for c in wb["枚举"]["A"] if c.value]
    assert enum_values[0] == "行政相对人类别"
    notes = [row[0].value for row in wb["说明"].iter_rows()]
    assert "处罚类别*" in notes


@pytest.mark.parametrize("code", ITEMS)
def test_ingest_parser_accepts_the_template_as_is(catalog: Catalog, code: str) -> None:
    """Unchanged, the template is read with its headers and no row; the example row, copied below
    the header as a department would fill it, is a valid row."""
    item = catalog.item(code)
    resolve = lambda h: catalog.resolve_header(code, h)  # noqa: E731
    raw = xlsx_template(code)
    table = open_table(io.BytesIO(raw), filename=f"{code}.xlsx", resolve=resolve, max_bytes=10_000_000)
    assert list(table.rows) == []
    validator = RowValidator(catalog, item, today=date(2026, 1, 5))
    assert validator.missing_required(table.headers or []) == []

    wb = load_workbook(io.BytesIO(raw))
    for cell in wb[EXAMPLE_SHEET][2]:
        wb.worksheets[0].cell(row=2, column=cell.column, value=cell.value)
    filled = io.BytesIO()
    wb.save(filled)
    filled.seek(0)
    rows = list(open_table(filled, filename=f"{code}.xlsx", resolve=resolve, max_bytes=10_000_000).rows)
    assert len(rows) == 1
    assert validator.check(rows[0]).errors == []
