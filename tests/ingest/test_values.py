"""Value normalisation: the date and number formats real exports use."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from xinyong.ingest.values import clean_code, clean_text, decimal_text, parse_date, parse_decimal


@pytest.mark.parametrize(
    "raw",
    [
        "2019-09-01",
        "2019/9/1",
        "2019/09/01",
        "20190901",
        "2019年9月1日",
        "2019 年 9 月 1 日",
        "2019.09.01",
        "2019-09-01 00:00:00",
        "2019-09-01T14:30:00+08:00",
        "2019/9/1 8:05",
        "２０１９-０９-０１",
        "43709",  # Excel serial number typed as text
        43709,  # Excel serial number from an unformatted cell
        43709.0,
        datetime(2019, 9, 1, 12, 0),
        date(2019, 9, 1),
    ],
)
def test_dates_in_real_formats(raw: object) -> None:
    assert parse_date(raw) == date(2019, 9, 1)


@pytest.mark.parametrize(
    "raw", ["2019-02-30", "2019-13-01", "01/09/2019", "九月一日", "2019", "", "abc", True, 0]
)
def test_ambiguous_or_impossible_dates_are_not_guessed(raw: object) -> None:
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,000.00", "1000"),
        ("１，０００．５", "1000.5"),
        (" 0.50 ", "0.5"),
        (12, "12"),
        (0.5, "0.5"),
        ("-3", "-3"),
    ],
)
def test_decimals(raw: object, expected: str) -> None:
    d = parse_decimal(raw)
    assert d is not None and decimal_text(d) == expected


@pytest.mark.parametrize("raw", ["1.000,00", "5千", "NaN", "1e5x", "(100)", ""])
def test_not_decimals(raw: str) -> None:
    assert parse_decimal(raw) is None


def test_decimal_canonical_form_makes_equal_amounts_equal() -> None:
    assert decimal_text(Decimal("1000.00")) == decimal_text(Decimal("1000")) == "1000"


def test_text_and_codes_are_normalised() -> None:
    assert clean_text("  台州市\u3000 鑫达  机械ＡＢＣ１２３ ") == "台州市 鑫达 机械ABC123"
    assert clean_text("第一行  \r\n  第二行", multiline=True) == "第一行\n第二行"
    assert clean_code(" ９１３３ １００２ma2k0001x ") == "91331002MA2K0001X"


def test_clean_code_removes_every_kind_of_whitespace_like_the_regular_expression() -> None:
    import random
    import re
    import unicodedata

    ws = re.compile(r"\s+")
    alphabet = list(
        "ab AZ09-_\t\n\r\x0b\x0c\x1c\x1f\x85\xa0\u1680\u2000\u2028\u202f\u3000\u200b\ufeffＡ１台ſﬀ"
    )
    rnd = random.Random(7)
    for _ in range(20_000):
        s = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 12)))
        expected = ws.sub("", s if s.isascii() else unicodedata.normalize("NFKC", s)).upper()
        assert clean_code(s) == expected
