"""The public list pages (``/lists…``, ``xinyong/portal/lists``) and the staff queue page
(``/lists/queue``, ``xinyong/portal/console/queue.py``)."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient

from tests.lists import helpers as h
from xinyong.accounts import service as accounts
from xinyong.core.db import Database
from xinyong.portal.strings import has
from xinyong.portal.templating import TEMPLATES_DIR


def test_public_list_pages(client: TestClient, db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        h.court_record(s, city, "(2026)浙10执9号", subject=city.person, decision=h.recent(10))
        h.consume(s)
    (m,) = client.get("/api/v1/lists/members", params={"list_type": "dishonest_judgment_debtor"}).json()[
        "items"
    ]
    page = client.get("/lists/black")
    assert page.status_code == 200 and "李**" in page.text and "失信被执行人名单" in page.text
    assert "李小明" not in page.text
    assert client.get("/lists").status_code == 200 and "信用名单" in client.get("/lists").text
    assert client.get("/lists/red").status_code == 200
    assert client.get("/lists/watch").status_code == 200
    anns = client.get("/lists/announcements")
    assert anns.status_code == 200 and "李**" in anns.text
    detail = client.get(f"/lists/announcements/{m['procedure_id']}")
    assert detail.status_code == 200 and "法律依据" in detail.text and "最高人民法院" in detail.text
    assert client.get("/lists/announcements/999999").status_code == 404


def test_the_staff_queue_page_highlights_overdue_steps(client: TestClient, db: Database) -> None:
    with db.session() as s:
        city = h.build_city(s)
        accounts.create_department(s, "tz_xyb", "台州市信用办")
        accounts.create_user(
            s,
            username="xyb_staff",
            display_name="信用办工作人员",
            role="credit_office",
            password="Xinyong-test-2026",
            department_code="tz_xyb",
        )
        h.propose(s, city.company, date(2026, 3, 2))
    r = client.get("/lists/queue", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    with db.session() as s:
        token, _csrf = accounts.create_session(s, "xyb_staff")
    client.cookies.set("xinyong_session", token)
    page = client.get("/lists/queue")
    assert page.status_code == 200
    assert 'class="overdue"' in page.text and "待告知" in page.text and "逾期" in page.text


def test_the_lists_pages_use_only_known_strings() -> None:
    missing = []
    for path in [*(TEMPLATES_DIR / "lists").glob("*.html"), TEMPLATES_DIR / "console" / "lists_queue.html"]:
        for key in re.findall(r"""\bt\(\s*["']([a-z0-9_.]+)["']""", path.read_text(encoding="utf-8")):
            if not key.endswith(".") and not has(key):  # "lists.kind." ~ kind is built at render time
                missing.append(f"{path.name}: {key}")
    assert not missing
    for kind in ("red", "watch", "black"):
        assert has(f"lists.kind.{kind}") and has(f"lists.kind.{kind}.desc")
