"""Issue 20 §3: ingest refuses what no officer would accept and never stores a bomb."""

from __future__ import annotations

import io
import re
import time
import zipfile
from datetime import date
from typing import Any

import pytest
from sqlalchemy.orm import Session

from tests.ingest.factory import LICENCE, PENALTY, RECEIVED_AT, licence_row, penalty_row, to_csv, to_xlsx
from xinyong.core.errors import DomainError
from xinyong.core.identifiers import make_ric
from xinyong.core.spreadsheet import cell_text
from xinyong.ingest import service
from xinyong.ingest.screening import ECHO_CHARS, MAX_CELL_CHARS
from xinyong.records import service as records_service


def _rules(errors: list[dict[str, Any]]) -> set[str]:
    return {e["rule"] for e in errors}


def _quarantined(session: Session, provider: service.ProviderInfo, status: str = "open") -> list[Any]:
    return service.list_quarantine(session, provider=provider.code, status=status, per_page=1000).items


@pytest.mark.parametrize(
    ("char", "name"),
    [("\x00", "NUL"), ("\x07", "BEL"), ("\x1b", "ESC"), ("\x7f", "DEL"), ("\u202e", "RLO")],
)
def test_control_and_bidi_characters_reject_the_row_and_keep_the_submission(
    session: Session, provider: service.ProviderInfo, char: str, name: str
) -> None:
    """On PostgreSQL a NUL used to fail the whole submission with a 500 and store nothing."""
    rows = [penalty_row(1), penalty_row(2, CF_XDR_MC=f"台州市椒江区{char}鑫达机械有限公司"), penalty_row(3)]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert (result.rows_total, result.rows_created, result.rows_rejected) == (3, 2, 1)
    (problem,) = [p for p in result.problems if p.row == 2]
    (error,) = problem.errors
    assert error["rule"] == "ingest.control_character" and error["field"] == "subject_name"
    assert name in error["message_zh"] and char not in str(error["value"])
    (q,) = _quarantined(session, provider)
    stored = q.raw["CF_XDR_MC"]
    assert char not in stored and f"\\u{ord(char):04x}" in stored  # kept, visibly escaped
    assert service.get_submission(session, result.id).status == "done"


def test_a_nul_in_a_header_or_a_nested_json_value_is_reported_not_a_500(
    session: Session, provider: service.ProviderInfo
) -> None:
    row = penalty_row(1)
    row["备注\x00"] = "x"
    row["CF_CFLB"] = ["罚款\x00"]
    result = service.submit(session, provider, PENALTY, [row], "api", received_at=RECEIVED_AT)
    assert result.rows_rejected == 1
    assert _rules(result.problems[0].errors) >= {"ingest.control_character"}
    (q,) = _quarantined(session, provider)
    assert "\x00" not in repr(q.raw)


def test_dates_before_the_items_floor_are_rejected(session: Session, provider: service.ProviderInfo) -> None:
    rows = [penalty_row(1, CF_JDRQ="0001-01-01"), penalty_row(2, CF_JDRQ="1949-09-30"), penalty_row(3)]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert (result.rows_created, result.rows_rejected) == (1, 2)
    for p in [p for p in result.problems if p.errors]:
        assert _rules(p.errors) == {"ingest.date_too_early"}
        assert "1949-10-01" in p.errors[0]["message_zh"]


def test_validity_ending_before_it_starts_and_unknown_enum_codes_are_rejected(
    session: Session, provider: service.ProviderInfo
) -> None:
    rows = [
        licence_row(1, XK_YXQZ="2025-09-30", XK_YXQZI="2024-09-29"),
        licence_row(2, XK_XKLB="99"),
        licence_row(3, XK_YXQZ="2025-09-30", XK_YXQZI="2025-09-30"),  # one day: fine
    ]
    result = service.submit(session, provider, LICENCE, rows, "api", received_at=RECEIVED_AT)
    assert (result.rows_created, result.rows_rejected) == (1, 2)
    by_row = {p.row: _rules(p.errors) for p in result.problems if p.errors}
    assert by_row[1] == {"ingest.validity_reversed"}
    assert by_row[2] == {"ingest.enum"} or "enum" in next(iter(by_row[2]))


def test_id_numbers_whose_region_names_no_province_are_rejected(
    session: Session, provider: service.ProviderInfo
) -> None:
    person = {"CF_XDR_LB": "自然人", "CF_XDR_SHXYM": None, "CF_XDR_ZJLX": "身份证", "CF_FRDB": None}
    good = make_ric("331002", date(1985, 6, 12), 123)
    bad = make_ric("990426", date(1985, 6, 12), 123)
    rows = [
        penalty_row(1, CF_XDR_MC="王建国", CF_XDR_ZJHM=good, **person),
        penalty_row(2, CF_XDR_MC="李建国", CF_XDR_ZJHM=bad, **person),
    ]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert (result.rows_created, result.rows_rejected) == (1, 1)
    (problem,) = [p for p in result.problems if p.errors]
    assert problem.row == 2 and any("region" in r for r in _rules(problem.errors))


def test_a_huge_cell_is_rejected_and_stored_and_echoed_clipped(
    session: Session, provider: service.ProviderInfo
) -> None:
    huge = "违" * (MAX_CELL_CHARS + 10)
    rows = [penalty_row(1, CF_SY=huge), penalty_row(2, CF_XDR_MC="台" * 5000)]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert result.rows_rejected == 2
    first = next(p for p in result.problems if p.errors).errors
    assert "ingest.cell_too_long" in _rules(first)
    for p in result.problems:
        for e in p.errors:
            assert len(str(e["value"])) <= ECHO_CHARS + 30  # first 200 characters and the length
    for q in _quarantined(session, provider):
        assert max(len(str(v)) for v in q.raw.values()) < 6000
    assert str(MAX_CELL_CHARS + 10) in str(first[0]["value"])


def test_formula_like_cells_are_stored_as_text(session: Session, provider: service.ProviderInfo) -> None:
    rows = [penalty_row(1, CF_NR='=HYPERLINK("http://x","点我")'), penalty_row(2, CF_NR="@SUM(1,1)")]
    result = service.submit(session, provider, PENALTY, rows, "api", received_at=RECEIVED_AT)
    assert result.rows_created == 2  # a text, kept as sent: neutralised where it is exported
    stored = {r.record_id: r for r in service.list_submission_rows(session, result.id).items}
    texts = {records_service.get_record(session, rid or 0).data["penalty_content"] for rid in stored}
    assert texts == {'=HYPERLINK("http://x","点我")', "@SUM(1,1)"}
    assert {cell_text(t)[0] for t in texts} == {"'"}


def test_one_open_quarantine_entry_per_document_closed_when_accepted(
    session: Session, provider: service.ProviderInfo
) -> None:
    bad = [penalty_row(1, CF_JDRQ="2025-13-01"), penalty_row(2, CF_NR_FK="-1")]
    for _ in range(3):  # the same file resent
        service.submit(session, provider, PENALTY, bad, "api", received_at=RECEIVED_AT)
    open_rows = _quarantined(session, provider)
    assert sorted(q.row_number for q in open_rows) == [1, 2]
    assert len(_quarantined(session, provider, "superseded")) == 4
    # A later submission accepts document 1: its open entry is resolved.
    fixed = service.submit(session, provider, PENALTY, [penalty_row(1)], "api", received_at=RECEIVED_AT)
    assert fixed.rows_created == 1
    (still_open,) = _quarantined(session, provider)
    assert still_open.row_number == 2
    (resolved,) = _quarantined(session, provider, "resolved")
    assert resolved.resolved_submission_id == fixed.id


def _rewritten_xlsx(ref: str | None = None, fill: str | None = None) -> bytes:
    """A small real workbook whose sheet declares ``ref`` as its dimension, or whose 违法行为 cell
    holds ``fill`` (written into the XML: openpyxl itself would cut it)."""
    data = to_xlsx([penalty_row(1)])
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                if ref is not None:
                    body = re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), body)
                if fill is not None:
                    body = re.sub(
                        rb'(<c r="F2" t="inlineStr"><is><t>)[^<]*', lambda m: m.group(1) + fill.encode(), body
                    )
            dst.writestr(info.filename, body)
    return out.getvalue()


def test_a_million_row_xlsx_is_refused_on_its_declared_dimension(
    session: Session, provider: service.ProviderInfo
) -> None:
    started = time.perf_counter()
    with pytest.raises(DomainError) as exc:
        service.submit_file(
            session, provider, PENALTY, io.BytesIO(_rewritten_xlsx("A1:M1000001")), "big.xlsx"
        )
    assert exc.value.code == "ingest.too_many_rows"
    assert time.perf_counter() - started < 5
    with pytest.raises(DomainError) as exc:
        service.submit_file(
            session, provider, PENALTY, io.BytesIO(_rewritten_xlsx("A1:XFD2000")), "wide.xlsx"
        )
    assert exc.value.code == "ingest.too_many_cells"


def test_an_xlsx_bomb_is_refused_before_it_is_parsed(
    session: Session, provider: service.ProviderInfo
) -> None:
    """A small file holding one enormous cell: refused by its unzipped size, in well under a second
    per MB, and the value is never stored or echoed."""
    data = _rewritten_xlsx(fill="违" * 12_000_000)  # 36 MB of XML in a file of about 40 KB
    assert len(data) < 1_000_000
    started = time.perf_counter()
    with pytest.raises(DomainError) as exc:
        service.submit_file(session, provider, PENALTY, io.BytesIO(data), "bomb.xlsx")
    assert exc.value.code == "ingest.xlsx_unzipped_too_large" and exc.value.status_code == 413
    assert time.perf_counter() - started < 5
    assert "违违违" not in str(exc.value.to_dict())
    assert _quarantined(session, provider) == []


def test_a_csv_with_control_characters_keeps_its_good_rows(
    session: Session, provider: service.ProviderInfo
) -> None:
    data = to_csv([penalty_row(1), penalty_row(2, CF_WFXW="超\x1b[31m标"), penalty_row(3)])
    result = service.submit_file(
        session, provider, PENALTY, io.BytesIO(data), "p.csv", received_at=RECEIVED_AT
    )
    assert (result.rows_created, result.rows_rejected) == (2, 1)
