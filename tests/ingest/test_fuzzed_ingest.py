"""Issue 20 §5: a fuzzed ingest of 5,000 rows carrying the faults of §3 — every row is accounted
for (submitted = accepted + rejected), no faulty row is accepted and no clean row is refused, on
each store (the NUL case used to fail the whole submission on PostgreSQL)."""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from tests.ingest.factory import LICENCE, RECEIVED_AT, licence_row, to_csv
from xinyong.core.identifiers import make_ric, make_uscc
from xinyong.ingest import service
from xinyong.ingest.screening import MAX_CELL_CHARS

ROWS = 5_000

Fault = Callable[[dict[str, Any]], None]


def _char(c: str) -> Fault:
    def put(row: dict[str, Any]) -> None:
        field = random.Random(c).choice(["XK_XDR_MC", "XK_NR", "XK_XKJG", "XK_XKZS"])
        row[field] = row[field][:3] + c + row[field][3:]

    return put


def _set(**values: Any) -> Fault:
    def put(row: dict[str, Any]) -> None:
        row.update(values)

    return put


def _person(region: str) -> Fault:
    def put(row: dict[str, Any]) -> None:
        row.update(
            XK_XDR_MC="王建国",
            XK_XDR_LB="自然人",
            XK_XDR_SHXYM="",
            XK_XDR_ZJLX="身份证",
            XK_XDR_ZJHM=make_ric(region, date(1985, 6, 12), 123),
            XK_FRDB="",
        )

    return put


FAULTS: dict[str, Fault] = {
    "nul": _char("\x00"),
    "bel": _char("\x07"),
    "esc": _char("\x1b"),
    "del": _char("\x7f"),
    "rlo": _char("\u202e"),
    "ancient": _set(XK_JDRQ="0001-01-01"),
    "before_1949": _set(XK_YXQZ="1900-01-01"),
    "future": _set(XK_JDRQ="2099-01-01"),
    "reversed": _set(XK_YXQZ="2025-09-30", XK_YXQZI="2020-01-01"),
    "enum": _set(XK_XKLB="99"),
    "region": _person("990426"),
    "huge": _set(XK_NR="许" * (MAX_CELL_CHARS + 1)),
    "bad_uscc": _set(XK_XDR_SHXYM="91331003MA2K00000X"),
}


def _rows(seed: int) -> tuple[list[dict[str, Any]], dict[int, str]]:
    rnd = random.Random(seed)
    rows, faulty = [], {}
    names = sorted(FAULTS)
    for i in range(1, ROWS + 1):
        code = make_uscc("9", "1", "331003", f"MA{i:06d}")
        row = licence_row(1)  # its shape; the identity of row i below
        row.update(
            XK_XDR_MC=f"台州市黄岩区许可{i}号食品店",
            XK_XDR_SHXYM=code,
            XK_WSH=f"台黄市监许〔2025〕{i}号",
            XK_XKBH=f"JY{i:012d}",
            XK_XDR_ZJLX="",
            XK_XDR_ZJHM="",
        )
        if rnd.random() < 0.3:
            name = rnd.choice(names)
            FAULTS[name](row)
            faulty[i] = name
        elif rnd.random() < 0.02:
            row = _clean_person(i, row)
        rows.append(row)
    return rows, faulty


def _clean_person(i: int, row: dict[str, Any]) -> dict[str, Any]:
    _person("331002")(row)
    row["XK_XDR_ZJHM"] = make_ric("331002", date(1985, 6, 12), i % 1000)
    return row


def test_fuzzed_ingest_accounts_for_every_row(session: Session, provider: service.ProviderInfo) -> None:
    rows, faulty = _rows(2026)
    assert set(faulty.values()) == set(FAULTS)  # every fault is in the mix
    data = to_csv(rows)
    result = service.submit_file(
        session, provider, LICENCE, io.BytesIO(data), "fuzz.csv", received_at=RECEIVED_AT
    )
    accepted = result.rows_created + result.rows_corrected + result.rows_unchanged + result.rows_withdrawn
    assert result.rows_total == ROWS == accepted + result.rows_rejected
    outcomes = {
        r.row: r.outcome
        for r in service.list_submission_rows(session, result.id, per_page=1000, page=1).items
    }
    page = 2
    while len(outcomes) < ROWS:
        items = service.list_submission_rows(session, result.id, per_page=1000, page=page).items
        assert items
        outcomes.update({r.row: r.outcome for r in items})
        page += 1
    # CSV row numbers count the header as record 1.
    by_row = (
        {n - 1: outcome for n, outcome in outcomes.items()}
        if 0 not in outcomes and ROWS + 1 in outcomes
        else outcomes
    )
    wrongly_accepted = sorted((i, f) for i, f in faulty.items() if by_row[i] != "rejected")
    wrongly_rejected = sorted(i for i in range(1, ROWS + 1) if i not in faulty and by_row[i] == "rejected")
    assert not wrongly_accepted, wrongly_accepted[:20]
    assert not wrongly_rejected, wrongly_rejected[:20]
    assert result.rows_rejected == len(faulty)
    # Every rejected row is in quarantine once, stored without any control character.
    page_q = service.list_quarantine(session, provider=provider.code, per_page=1000)
    assert page_q.total == len(faulty)
    for q in page_q.items:
        text = repr(q.raw)
        assert "\x00" not in text and "\u202e" not in text and len(text) < 20_000
