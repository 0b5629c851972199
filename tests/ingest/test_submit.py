"""Submissions on both stores: editions, formats, every rejection rule, versions, timeliness."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from tests.ingest.factory import (
    LICENCE,
    PENALTY,
    RECEIVED_AT,
    chinese_penalty_row,
    excel_serial,
    licence_row,
    old_penalty_row,
    penalty_row,
    ric,
    to_csv,
    to_xlsx,
    uscc,
    uscc_inner_mismatch,
)
from xinyong.accounts import service as accounts_service
from xinyong.core import events
from xinyong.core.errors import DomainError, Forbidden, InvalidInput, NotFound, TooLarge
from xinyong.core.settings import reset_settings
from xinyong.creditstate import service as creditstate_service
from xinyong.ingest import service
from xinyong.ledger import service as ledger
from xinyong.records import service as records_service


def _other_last(code: str) -> str:
    return code[:-1] + ("0" if code[-1] != "0" else "1")


_BAD_USCC = _other_last(uscc(1))
_BAD_RIC = _other_last(ric(1))


def _submit(
    session: Session,
    provider: service.ProviderInfo,
    rows: list[dict[str, Any]],
    item: str = PENALTY,
    **kw: Any,
) -> service.SubmissionResult:
    kw.setdefault("received_at", RECEIVED_AT)
    return service.submit(session, provider, item, rows, "api", **kw)


def _file(
    session: Session, provider: service.ProviderInfo, data: bytes, name: str, item: str = PENALTY, **kw: Any
) -> service.SubmissionResult:
    kw.setdefault("received_at", RECEIVED_AT)
    return service.submit_file(session, provider, item, io.BytesIO(data), name, **kw)


def _rows(session: Session, result: service.SubmissionResult) -> list[service.RowResult]:
    return service.list_submission_rows(session, result.id, per_page=1000).items


def _rules(row: service.RowResult) -> list[str]:
    return [e["rule"] for e in row.errors]


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def test_current_edition_penalties_are_stored(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [penalty_row(1), penalty_row(2)])
    assert result.status == "done"
    assert (result.rows_total, result.rows_created, result.rows_rejected) == (2, 2, 0)
    rows = _rows(session, result)
    assert [r.outcome for r in rows] == ["created", "created"]
    record = records_service.get_record(session, rows[0].record_id or 0)
    assert record.versions[0].data["document_number"] == "台椒市监处罚〔2025〕1号"
    assert record.versions[0].data["fine_amount"] == "0.5"
    assert record.versions[0].data["penalty_types"] == ["罚款"]


def test_old_edition_and_chinese_headers(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [old_penalty_row(1), chinese_penalty_row(1)])
    assert result.rows_created == 2, _rows(session, result)
    old, zh = _rows(session, result)
    old_data = records_service.get_record(session, old.record_id or 0).versions[0].data
    # CF_CFLB1 + CF_CFLB2 are one multi-valued field; 2025/9/29 is normalised.
    assert sorted(old_data["penalty_types"]) == ["罚款", "警告"]
    assert old_data["decision_date"] == "2025-09-29"
    assert old_data["uscc"] == uscc(5001, "331004")
    zh_data = records_service.get_record(session, zh.record_id or 0).versions[0].data
    assert zh_data["fine_amount"] == "1"  # full-width "１.０"
    assert zh_data["decision_date"] == "2025-09-30"
    assert zh_data["legal_representative"] == "赵六"


def test_licences_in_xk_codes(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [licence_row(1), licence_row(2, XK_XKLB="02")], item=LICENCE)
    assert result.rows_created == 2
    data = records_service.get_record(session, _rows(session, result)[1].record_id or 0).versions[0].data
    assert data["licence_category"] == "02"
    assert data["valid_until"] == "2030-09-29"


def test_gbk_csv_file(session: Session, provider: service.ProviderInfo) -> None:
    data = to_csv([penalty_row(i) for i in range(1, 4)], encoding="gbk")
    result = _file(session, provider, data, "2025年9月行政处罚.csv")
    assert (result.file_format, result.encoding, result.rows_created) == ("csv", "gb18030", 3)
    assert result.content_hash and len(result.content_hash) == 64
    again = _file(session, provider, data, "2025年9月行政处罚（重发）.csv")
    assert again.rows_unchanged == 3
    assert [w["code"] for w in again.warnings] == ["ingest.duplicate_file"]
    assert again.warnings[0]["submission_id"] == result.id


def test_xlsx_with_title_rows_and_serial_dates(session: Session, provider: service.ProviderInfo) -> None:
    rows = [penalty_row(1, CF_JDRQ=excel_serial(date(2025, 9, 30))), penalty_row(2, CF_JDRQ="20250929")]
    result = _file(
        session, provider, to_xlsx(rows, titles=("行政处罚信息", "单位：台州市市场监督管理局")), "cf.xlsx"
    )
    assert result.rows_created == 2, result.problems
    first = records_service.get_record(session, _rows(session, result)[0].record_id or 0)
    assert first.versions[0].data["decision_date"] == "2025-09-30"
    assert _rows(session, result)[0].row == 4  # the sheet row the provider sees


def test_jsonl_file(session: Session, provider: service.ProviderInfo) -> None:
    import json

    data = "\n".join(json.dumps(penalty_row(i), ensure_ascii=False) for i in range(1, 3)).encode()
    result = _file(session, provider, data, "rows.jsonl")
    assert (result.file_format, result.rows_created) == ("jsonl", 2)


def _one_rejected(session: Session, provider: service.ProviderInfo, row: dict[str, Any]) -> service.RowResult:
    result = _submit(session, provider, [penalty_row(100), row])
    assert (result.rows_created, result.rows_rejected) == (1, 1)
    return _rows(session, result)[1]


@pytest.mark.parametrize(
    ("override", "rule", "field"),
    [
        ({"CF_XDR_MC": ""}, "ingest.required", "subject_name"),
        ({"CF_SY": "   "}, "ingest.required", "violation_facts"),
        ({"CF_XDR_MC": "名" * 201}, "ingest.max_length", "subject_name"),
        ({"CF_CFLB": "打板子"}, "ingest.enum", "penalty_types"),
        ({"CF_JDRQ": "2025-02-30"}, "ingest.date_format", "decision_date"),
        ({"CF_JDRQ": "去年"}, "ingest.date_format", "decision_date"),
        ({"CF_JDRQ": "2025-10-11"}, "ingest.future_date", "decision_date"),
        ({"CF_NR_FK": "-1"}, "ingest.negative_amount", "fine_amount"),
        ({"CF_NR_FK": "五千"}, "ingest.decimal_format", "fine_amount"),
        ({"CF_XDR_SHXYM": "91331002MA2K0001"}, "uscc.length", "uscc"),
        ({"CF_XDR_SHXYM": _BAD_USCC}, "uscc.check_char", "uscc"),
        ({"CF_XDR_SHXYM": "00000000000000000X"}, "ingest.placeholder_code", "uscc"),
        ({"CF_XDR_SHXYM": ""}, "ingest.subject_identity", "uscc"),
        ({"CF_XDR_LB": "自然人", "CF_XDR_SHXYM": ""}, "ingest.subject_identity", "id_number"),
        ({"CF_XDR_LB": "自然人", "CF_XDR_SHXYM": "", "CF_XDR_ZJHM": _BAD_RIC}, "ric.check_char", "id_number"),
        ({"CF_WSH": ""}, "ingest.required", "document_number"),
    ],
)
def test_rejection_rules(
    session: Session, provider: service.ProviderInfo, override: dict[str, Any], rule: str, field: str
) -> None:
    row = _one_rejected(session, provider, penalty_row(1, **override))
    assert row.outcome == "rejected" and row.record_id is None
    error = next(e for e in row.errors if e["rule"] == rule)
    assert error["field"] == field
    assert error["row"] == 2 and error["message_zh"]
    open_rows = service.list_quarantine(session, provider=provider.code).items
    assert [q.row_number for q in open_rows] == [2]
    assert open_rows[0].errors == row.errors


def test_invalid_uscc_error_shape(session: Session, provider: service.ProviderInfo) -> None:
    bad = _BAD_USCC
    row = _one_rejected(session, provider, penalty_row(1, CF_XDR_SHXYM=bad))
    (error,) = row.errors
    assert error == {
        "row": 2,
        "field": "uscc",
        "header": "CF_XDR_SHXYM",
        "value": bad,
        "rule": "uscc.check_char",
        "message": error["message"],
        "message_zh": error["message_zh"],
    }
    assert "统一社会信用代码" in error["message_zh"]


def test_placeholder_is_never_stored_as_identity(session: Session, provider: service.ProviderInfo) -> None:
    placeholder = "00000000000000000X"
    result = _submit(
        session,
        provider,
        [
            penalty_row(1, CF_XDR_SHXYM=placeholder),
            # A natural person row with a placeholder USCC: stored on the ID number, placeholder dropped.
            penalty_row(
                2, CF_XDR_LB="自然人", CF_XDR_MC="陈某", CF_XDR_SHXYM=placeholder, CF_XDR_ZJHM=ric(7)
            ),
        ],
    )
    first, second = _rows(session, result)
    assert _rules(first) == ["ingest.placeholder_code"]
    assert second.outcome == "created"
    assert "ingest.placeholder_code" in [w["rule"] for w in second.warnings]
    data = records_service.get_record(session, second.record_id or 0).versions[0].data
    assert placeholder not in str(data)
    assert ric(7) not in str(data)  # ID numbers are not kept in clear in record data
    assert _count(session, "subjects WHERE uscc = '00000000000000000X'") == 0


def test_inner_check_mismatch_is_accepted_with_a_warning(
    session: Session, provider: service.ProviderInfo
) -> None:
    result = _submit(session, provider, [penalty_row(1, CF_XDR_SHXYM=uscc_inner_mismatch(1))])
    (row,) = _rows(session, result)
    assert row.outcome == "created"
    assert "uscc.inner_check_mismatch" in [w["rule"] for w in row.warnings]


def test_duplicate_document_numbers_in_one_file(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [penalty_row(1), penalty_row(2), penalty_row(1, CF_NR_FK="9")])
    rows = _rows(session, result)
    assert [r.outcome for r in rows] == ["created", "created", "rejected"]
    assert _rules(rows[2]) == ["ingest.duplicate_in_file"]
    assert "第 1 行" in rows[2].errors[0]["message_zh"]


def test_full_width_and_stray_spaces_are_normalised(session: Session, provider: service.ProviderInfo) -> None:
    code = uscc(3)
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    row = penalty_row(
        3, CF_XDR_SHXYM=f" {full_width} ", CF_XDR_MC="  台州市椒江区鑫达3号机械制造有限公司\u3000"
    )
    result = _submit(session, provider, [row])
    (r,) = _rows(session, result)
    data = records_service.get_record(session, r.record_id or 0).versions[0].data
    assert data["uscc"] == code
    assert data["subject_name"] == "台州市椒江区鑫达3号机械制造有限公司"


def test_idempotent_resend_correction_and_withdrawal(
    session: Session, provider: service.ProviderInfo
) -> None:
    rows = [penalty_row(1), penalty_row(2)]
    first = _submit(session, provider, rows)
    assert first.rows_created == 2
    again = _submit(session, provider, rows)
    assert (again.rows_unchanged, again.rows_created) == (2, 0)
    record_id = _rows(session, first)[0].record_id or 0

    corrected = _submit(session, provider, [penalty_row(1, CF_NR_FK="0.8", CZLX="更正")])
    assert corrected.rows_corrected == 1
    detail = records_service.get_record(session, record_id)
    assert [v.version for v in detail.versions] == [1, 2]
    assert detail.versions[-1].data["fine_amount"] == "0.8"

    withdrawn = _submit(session, provider, [penalty_row(1, CF_NR_FK="0.8", CZLX="撤销")])
    assert withdrawn.rows_withdrawn == 1
    detail = records_service.get_record(session, record_id)
    assert detail.status == "withdrawn" and len(detail.versions) == 3
    assert _count(session, "record_versions") == 4  # nothing rewritten in place


def test_withdrawing_an_unknown_record_is_quarantined(
    session: Session, provider: service.ProviderInfo
) -> None:
    result = _submit(session, provider, [penalty_row(1), penalty_row(2, CZLX="撤销")])
    assert (result.rows_created, result.rows_rejected) == (1, 1)
    assert _rules(_rows(session, result)[1]) == ["record.withdraw_unknown"]


def test_late_flag_counts_working_days(session: Session, provider: service.ProviderInfo) -> None:
    rows = [
        # Golden Week: 2025-09-28 (a make-up working day) → 2025-10-10 is 4 working days.
        penalty_row(1, CF_JDRQ="2025-09-28"),
        # 2025-09-01 → 2025-10-10: far beyond the 7 working days of 双公示.
        penalty_row(2, CF_JDRQ="2025-09-01"),
    ]
    result = _submit(session, provider, rows)
    on_time, late = _rows(session, result)
    assert (on_time.late, on_time.delay_working_days) == (False, 4)
    assert late.late and late.delay_working_days is not None and late.delay_working_days > 7
    assert "ingest.late" in [w["rule"] for w in late.warnings]
    assert late.outcome == "created"  # late is a warning, not a rejection
    assert result.rows_late == 1


def test_unknown_calendar_year_is_a_warning_not_a_rejection(
    session: Session, provider: service.ProviderInfo
) -> None:
    # Beyond the provisional horizon no calendar is known: timeliness is unknown, the row is still stored.
    received = datetime(2047, 1, 5, 2, 0, tzinfo=UTC)
    result = _submit(session, provider, [penalty_row(1, CF_JDRQ="2046-12-30")], received_at=received)
    (row,) = _rows(session, result)
    assert row.outcome == "created" and row.delay_working_days is None and not row.late
    assert "ingest.timeliness_unknown" in [w["rule"] for w in row.warnings]


def test_unknown_headers_are_listed(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [penalty_row(1, 内部流水号="A-1", CF_UNKNOWN="x")])
    assert result.rows_created == 1
    assert result.unknown_headers == ["内部流水号", "CF_UNKNOWN"]


def test_missing_required_column_rejects_the_file(session: Session, provider: service.ProviderInfo) -> None:
    rows = [{k: v for k, v in penalty_row(i).items() if k not in ("CF_SY", "CF_WSH")} for i in range(3)]
    with pytest.raises(InvalidInput) as exc:
        _file(session, provider, to_csv(rows), "missing.csv")
    assert exc.value.code == "ingest.missing_columns"
    assert {c["field"] for c in exc.value.details["columns"]} == {"violation_facts", "document_number"}
    failed = service.get_submission(session, exc.value.details["submission_id"])
    assert failed.status == "failed" and failed.errors[0]["code"] == "ingest.missing_columns"
    assert _count(session, "records") == 0


def test_file_level_limits(
    session: Session, provider: service.ProviderInfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(InvalidInput) as empty:
        _file(session, provider, to_csv([penalty_row(1)]).split(b"\r\n")[0] + b"\r\n", "header-only.csv")
    assert empty.value.code == "ingest.empty_file"

    monkeypatch.setenv("XINYONG_MAX_ROWS_PER_SUBMISSION", "3")
    monkeypatch.setenv("XINYONG_MAX_UPLOAD_BYTES", "4000")
    reset_settings()
    with pytest.raises(InvalidInput) as many:
        _submit(session, provider, [penalty_row(i) for i in range(4)])
    assert many.value.code == "ingest.too_many_rows"
    with pytest.raises(TooLarge) as big:
        _file(session, provider, to_csv([penalty_row(i) for i in range(20)]), "big.csv")
    assert big.value.code == "ingest.file_too_large"
    # Nothing of the refused submissions was stored; each is kept as a failed submission.
    assert _count(session, "records") == 0
    failed = service.list_submissions(session, provider_id=provider.id, status="failed")
    assert failed.total == 3


def test_unknown_item_and_item_not_allowed(session: Session, provider: service.ProviderInfo) -> None:
    with pytest.raises(NotFound) as unknown:
        _submit(session, provider, [penalty_row(1)], item="no_such_item")
    assert unknown.value.code == "catalog.unknown_item"
    with pytest.raises(Forbidden) as forbidden:
        _submit(session, provider, [{"x": 1}], item="honour")
    assert forbidden.value.code == "ingest.item_not_allowed"


def test_failure_part_way_is_invisible_then_recovered(
    session: Session, provider: service.ProviderInfo
) -> None:
    """A big submission commits batch by batch; a failure part-way leaves it ``applying`` with
    nothing derived from it visible (no credit state, no consumer moved past it), and recovery
    finishes it from its staged rows to what one clean run stores."""
    calls = {"n": 0}

    def boom(done: int, total: int | None) -> None:
        calls["n"] += 1
        if done >= 1000:
            raise RuntimeError("crash in the middle")

    rows = [
        penalty_row(i, CF_XDR_MC=f"台州市批量{i % 20}号有限公司", CF_XDR_SHXYM=uscc(i % 20))
        for i in range(1500)
    ]
    with pytest.raises(RuntimeError):
        _submit(session, provider, rows, progress=boom)
    assert calls["n"] == 1
    sub_id = service.applying(session)[0]
    half = service.get_submission(session, sub_id)
    assert (half.status, half.rows_total, half.rows_created) == ("applying", 1000, 1000)
    assert _count(session, "credit_states") == 0  # the held events reached no consumer
    assert events.horizon(session) is not None
    subject = records_service.get_record(session, _rows(session, half)[0].record_id or 0).subject_id
    listed = records_service.list_subject_records(session, subject, visibility="government")
    assert listed.total == 0  # nor do the committed records show in the lists yet

    finished = service.recover(session)
    assert [r.id for r in finished] == [sub_id]
    done = service.get_submission(session, sub_id)
    assert (done.status, done.rows_total, done.rows_created, done.rows_rejected) == ("done", 1500, 1500, 0)
    assert _count(session, "records") == 1500 and _count(session, "submission_rows") == 1500
    assert _count(session, "credit_states") == 20  # caught up after the final commit
    assert events.horizon(session) is None
    assert records_service.list_subject_records(session, subject, visibility="government").total == 75
    assert ledger.verify(session).ok
    again = _submit(session, provider, rows)
    assert (again.rows_unchanged, again.rows_created) == (1500, 0)


def test_credit_state_is_current_after_submit(session: Session, provider: service.ProviderInfo) -> None:
    result = _submit(session, provider, [penalty_row(1)])
    record = records_service.get_record(session, _rows(session, result)[0].record_id or 0)
    summary = creditstate_service.subject_summary(session, record.subject_id)
    assert summary.records_in_force == 1


def test_providers_and_keys(session: Session) -> None:
    info, key = service.create_provider(session, "tz_sw", "国家税务总局台州市税务局", None, [PENALTY])
    assert service.authenticate(session, key).code == "tz_sw"
    with pytest.raises(DomainError) as dup:
        service.create_provider(session, "tz_sw", "重复", None, [])
    assert dup.value.code == "ingest.provider_exists"
    # The key is an API key of accounts (one key system): stored hashed, its prefix for lookup.
    row = session.execute(
        text(
            "SELECT k.key_hash, k.prefix, k.role, k.expires_at FROM api_keys k"
            " JOIN departments d ON d.id = k.department_id WHERE d.provider_code = 'tz_sw'"
        )
    ).one()
    assert key not in row[0] and key.split("_")[1] == row[1]
    assert (row[2], row[3]) == ("provider", None)  # the provider role, no expiry
    _, new_key = service.rotate_key(session, "tz_sw")
    with pytest.raises(DomainError) as old:
        service.authenticate(session, key)
    assert old.value.code == "ingest.invalid_api_key"
    assert service.authenticate(session, new_key).id == info.id
    # An administrator's key for the department is not the provider's own: rotation keeps it.
    _, admin_key = accounts_service.create_api_key(
        session, name="报送系统二", role="provider", provider_code="tz_sw"
    )
    _, newer_key = service.rotate_key(session, "tz_sw")
    assert service.authenticate(session, admin_key).id == info.id
    assert service.authenticate(session, newer_key).id == info.id
    with pytest.raises(DomainError):
        service.authenticate(session, new_key)
    assert service.set_items(session, "tz_sw", [LICENCE, PENALTY]).items == [LICENCE, PENALTY]
    assert [p.code for p in service.list_providers(session)] == ["tz_sw"]


def test_metrics(session: Session, provider: service.ProviderInfo) -> None:
    _submit(session, provider, [penalty_row(1, CF_JDRQ="2025-09-28"), penalty_row(2, CF_JDRQ="2025-09-01")])
    _submit(
        session,
        provider,
        [
            penalty_row(1, CF_JDRQ="2025-09-28"),
            penalty_row(3, CF_NR_FK="-5"),
            penalty_row(4, CF_XDR_SHXYM="00000000000000000X"),
        ],
    )
    with pytest.raises(InvalidInput):
        _file(session, provider, b"\xff\xfe\x81\x81\xff", "x.csv")
    m = service.provider_metrics(session, provider.code)
    assert (m.submissions, m.submissions_failed, m.rows_submitted) == (3, 1, 5)
    assert (m.rows_accepted, m.rows_created, m.rows_unchanged, m.rows_rejected, m.rows_late) == (
        3,
        2,
        1,
        2,
        1,
    )
    assert m.rejected_by_rule == {"ingest.negative_amount": 1, "ingest.placeholder_code": 1}
    assert m.error_rate == pytest.approx(2 / 5)
    assert m.median_delay_working_days is not None and m.median_delay_working_days > 4
    (per_item,) = service.item_metrics(session)
    assert (per_item.item_code, per_item.rows_submitted, per_item.rows_rejected) == (PENALTY, 5, 2)


def test_receipt_date_is_china_time(session: Session, provider: service.ProviderInfo) -> None:
    # 2025-10-09 17:00 UTC is already 2025-10-10 in China.
    late_evening = datetime(2025, 10, 9, 17, 0, tzinfo=UTC)
    result = _submit(session, provider, [penalty_row(1, CF_JDRQ="2025-10-10")], received_at=late_evening)
    assert result.rows_created == 1  # not a future date


def test_every_catalog_template_round_trips(session: Session) -> None:
    """The downloadable XLSX template of every item, filled with its example row as a department
    would, is accepted as is."""
    from xinyong.catalog.service import get_catalog

    items = [i.code for i in get_catalog().items()]
    provider, _ = service.create_provider(session, "tz_all", "台州市信用办", None, items)
    for item in items:
        result = _file(session, provider, _filled_template(item), f"{item}.xlsx", item=item, received_at=None)
        assert (result.rows_total, result.rows_rejected, result.unknown_headers) == (1, 0, []), (
            item,
            result.problems,
        )


def test_legal_representative_id_number_is_checked_and_stored_masked(
    session: Session, provider: service.ProviderInfo
) -> None:
    good = ric(7)
    result = _submit(session, provider, [penalty_row(1, CF_FR_ZJLX="身份证", CF_FR_ZJHM=good)])
    (row,) = _rows(session, result)
    assert row.outcome == "created"
    stored = records_service.get_record(session, row.record_id).versions[-1].data  # type: ignore[arg-type]
    assert stored["legal_representative_id_number"] != good
    assert (
        stored["legal_representative_id_number"].startswith(good[:6])
        and "*" in stored["legal_representative_id_number"]
    )

    bad = _submit(session, provider, [penalty_row(2, CF_FR_ZJLX="身份证", CF_FR_ZJHM=_BAD_RIC)])
    (bad_row,) = _rows(session, bad)
    assert bad_row.outcome == "rejected"
    assert bad_row.errors[0]["field"] == "legal_representative_id_number"


def test_the_downloaded_template_sent_back_unchanged_adds_no_record(
    session: Session, provider: service.ProviderInfo
) -> None:
    """The template's example row lives on its own sheet: sent back as downloaded, the file is
    read (headers right) and stores nothing."""
    from xinyong.catalog.service import xlsx_template

    session.commit()  # a refused file is recorded in a transaction of its own
    before = _count(session, "records")
    try:
        result = _file(session, provider, xlsx_template(PENALTY), "模板.xlsx")
    except InvalidInput as exc:  # a file with no data row may be refused outright
        assert exc.code == "ingest.empty_file"
    else:
        assert (result.rows_total, result.rows_created) == (0, 0)
    assert _count(session, "records") == before


def _filled_template(item: str) -> bytes:
    """The item's template with its example row copied below the header."""
    from openpyxl import load_workbook

    from xinyong.catalog.service import xlsx_template
    from xinyong.catalog.template import EXAMPLE_SHEET

    wb = load_workbook(io.BytesIO(xlsx_template(item)))
    for cell in wb[EXAMPLE_SHEET][2]:
        wb.worksheets[0].cell(row=2, column=cell.column, value=cell.value)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
