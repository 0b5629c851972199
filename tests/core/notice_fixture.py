"""A made-up 2027 holiday notice for tests (the real one is not published yet): its 春节 break is
longer than the provisional year's (5–10 February), so dates across it move when it is loaded."""

from __future__ import annotations

from typing import Any

TEST_SOURCE = "测试用通知（非真实文件）国务院办公厅关于2027年部分节假日安排的通知"


def notice_2027() -> dict[str, Any]:
    return {
        "year": 2027,
        "source": TEST_SOURCE,
        "published_on": "2026-11-20",
        "holidays": [
            {"name": "元旦", "from": "2027-01-01", "to": "2027-01-03", "days": 3},
            {"name": "春节", "from": "2027-02-05", "to": "2027-02-13", "days": 9},
            {"name": "清明节", "from": "2027-04-03", "to": "2027-04-05", "days": 3},
            {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05", "days": 5},
            {"name": "端午节", "from": "2027-06-09", "to": "2027-06-09", "days": 1},
            {"name": "中秋节", "from": "2027-09-15", "to": "2027-09-15", "days": 1},
            {"name": "国庆节", "from": "2027-10-01", "to": "2027-10-07", "days": 7},
        ],
        "workdays": [
            {"name": "春节调休", "date": "2027-02-20"},
            {"name": "劳动节调休", "date": "2027-04-25"},
            {"name": "国庆节调休", "date": "2027-09-26"},
            {"name": "国庆节调休", "date": "2027-10-09"},
        ],
    }
