"""Builders for the measures tests: real subjects, real records through the records service,
grades and list memberships written through the records service's state writers (as the
evaluation and lists steps do), and a receiving webhook server on 127.0.0.1 only."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.orm import Session

from tests.records import helpers as rh
from xinyong.creditstate import consumer
from xinyong.creditstate import service as creditstate

PROCUREMENT = "government_procurement"
LICENSING = "administrative_licensing"


@dataclass
class City:
    provider_id: int
    bad: int  # serious penalty, blacklisted, grade D
    good: int  # grade A, red list
    plain: int  # nothing at all
    bad_code: str
    good_code: str
    plain_code: str


def build_city(session: Session) -> City:
    provider_id = rh.provider(session)
    bad = rh.enterprise(session, 1, "台州市失信机械有限公司")
    good = rh.enterprise(session, 2, "台州市守信电子有限公司")
    plain = rh.enterprise(session, 3, "台州市普通贸易有限公司")
    # 罚款 200 万元: above the serious threshold (severity.yaml) → a serious penalty.
    rh.store(
        session,
        bad,
        provider_id,
        rh.penalty_row(
            "台市监罚〔2026〕1号",
            types=["罚款"],
            fine="200",
            name="台州市失信机械有限公司",
            code=rh.uscc(1),
            decision=date(2026, 3, 2),
        ),
    )
    session.commit()
    consumer.process_events(session)
    set_grade(session, bad, "D")
    set_grade(session, good, "A")
    set_lists(
        session,
        bad,
        [{"list_type": "blacklist", "starts_on": "2026-03-20", "ends_on": "2029-03-19", "procedure_id": 7}],
    )
    set_lists(
        session,
        good,
        [{"list_type": "red_list", "starts_on": "2026-01-05", "ends_on": "2027-01-04", "procedure_id": 8}],
    )
    session.commit()
    return City(provider_id, bad, good, plain, rh.uscc(1), rh.uscc(2), rh.uscc(3))


def set_grade(session: Session, subject_id: int, grade: str, score: str = "800") -> None:
    creditstate.set_evaluations(
        session,
        [
            creditstate.EvaluationState(
                subject_id, grade, Decimal(score), "enterprise", "2026.1", datetime.now(UTC)
            )
        ],
    )


def set_lists(session: Session, subject_id: int, entries: list[dict[str, Any]]) -> None:
    creditstate.set_list_memberships(session, {subject_id: entries})


# --- a receiving webhook server (loopback only) ------------------------------------------------


@dataclass
class Received:
    headers: dict[str, str]
    body: str

    @property
    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # Status codes to answer with, one per request; 200 once they run out.
    script: list[int] = field(default_factory=list)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length).decode("utf-8")
            state.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
            status = state.script.pop(0) if state.script else 200
            self.send_response(status)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/xinyong"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
