"""The shared helpers: ``as_date`` and paging."""

from datetime import UTC, date, datetime

import pytest

from xinyong.core.dates import as_date
from xinyong.core.paging import MAX_PAGE, page_count, page_number


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        ("", None),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (datetime(2026, 3, 1, 23, 59, tzinfo=UTC), date(2026, 3, 1)),
        ("2026-03-01", date(2026, 3, 1)),
        (" 2026-03-01T08:00:00 ", date(2026, 3, 1)),
        ("2026-02-30", None),
        ("not a date", None),
    ],
)
def test_as_date(value: object, expected: date | None) -> None:
    assert as_date(value) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(None, 1), ("", 1), ("3", 3), ("0", 1), ("-2", 1), ("x", 1), ("99999999", MAX_PAGE)],
)
def test_page_number(raw: str | None, expected: int) -> None:
    assert page_number(raw) == expected


def test_page_count() -> None:
    assert [page_count(n, 20) for n in (0, 1, 20, 21, 40, 41)] == [1, 1, 1, 2, 2, 3]
