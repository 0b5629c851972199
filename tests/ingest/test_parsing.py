"""Reading files as departments send them: encodings, title rows, editions, formats."""

from __future__ import annotations

import io
import json

import pytest

from tests.ingest.factory import PENALTY, chinese_penalty_row, old_penalty_row, penalty_row, to_csv, to_xlsx
from xinyong.catalog.service import get_catalog
from xinyong.core.errors import InvalidInput, TooLarge
from xinyong.ingest.parsing import Table, open_table


def _open(data: bytes, filename: str, max_bytes: int = 10_000_000) -> Table:
    catalog = get_catalog()
    return open_table(
        io.BytesIO(data),
        filename=filename,
        resolve=lambda h: catalog.resolve_header(PENALTY, h),
        max_bytes=max_bytes,
    )


@pytest.mark.parametrize(
    ("encoding", "recorded"),
    [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gbk", "gb18030"), ("gb18030", "gb18030")],
)
def test_csv_encodings_are_detected(encoding: str, recorded: str) -> None:
    rows = [penalty_row(1), penalty_row(2)]
    table = _open(to_csv(rows, encoding=encoding), "处罚.csv")
    assert table.encoding == recorded
    got = list(table.rows)
    assert [r.values["CF_XDR_MC"] for r in got] == [rows[0]["CF_XDR_MC"], rows[1]["CF_XDR_MC"]]
    assert got[0].number == 2  # the header is row 1, as in a spreadsheet


def test_undecodable_csv_is_a_file_level_error() -> None:
    data = to_csv([penalty_row(1)]) + b"\x81\xff\xfe\x80\x80\xff\n"
    with pytest.raises(InvalidInput) as exc:
        _open(data, "bad.csv")
    assert exc.value.code == "ingest.encoding"


def test_empty_files() -> None:
    for data in (b"", b"\r\n\r\n", b"\xef\xbb\xbf"):
        with pytest.raises(InvalidInput) as exc:
            _open(data, "empty.csv")
        assert exc.value.code == "ingest.empty_file"


def test_too_large() -> None:
    with pytest.raises(TooLarge) as exc:
        _open(to_csv([penalty_row(i) for i in range(50)]), "big.csv", max_bytes=1000)
    assert exc.value.code == "ingest.file_too_large" and exc.value.status_code == 413


def test_csv_title_rows_and_tab_delimiter() -> None:
    rows = [old_penalty_row(1)]
    text = to_csv(rows, titles=("台州市行政处罚信息公示表", "填报单位：台州市生态环境局")).decode()
    tabbed = text.replace(",", "\t").encode("gbk")
    table = _open(tabbed, "old.txt")
    assert table.headers is not None and table.headers[0] == "CF_WSH"
    (row,) = list(table.rows)
    assert row.number == 4 and row.values["CF_CFLB1"] == "罚款"


def test_xlsx_with_title_rows_and_chinese_headers() -> None:
    rows = [chinese_penalty_row(1), chinese_penalty_row(2)]
    table = _open(to_xlsx(rows, titles=("2025年9月行政处罚信息",)), "处罚.xlsx")
    assert table.format == "xlsx"
    got = list(table.rows)
    table.close()
    assert [r.number for r in got] == [3, 4]
    assert got[0].values["行政相对人名称"] == rows[0][" 行政相对人名称 "]  # header trimmed


def test_jsonl_rows_and_a_broken_line() -> None:
    lines = [json.dumps(penalty_row(1), ensure_ascii=False), "{not json", json.dumps(penalty_row(2))]
    table = _open("\n".join(lines).encode(), "rows.jsonl")
    got = list(table.rows)
    assert [r.number for r in got] == [1, 2, 3]
    assert got[1].error is not None and got[1].error["rule"] == "ingest.bad_json"
    assert got[2].values["CF_WSH"] == penalty_row(2)["CF_WSH"]


def test_json_batch_file() -> None:
    body = {"item": PENALTY, "rows": [penalty_row(1)]}
    table = _open(json.dumps(body, ensure_ascii=False).encode(), "batch.json")
    assert [r.values["CF_WSH"] for r in table.rows] == [penalty_row(1)["CF_WSH"]]


def test_legacy_xls_is_refused_clearly() -> None:
    with pytest.raises(InvalidInput) as exc:
        _open(b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls")
    assert exc.value.code == "ingest.unsupported_format"
