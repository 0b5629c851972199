"""Cell values as departments send them, normalised: text (full-width letters and digits, odd
spaces), codes, dates in every form seen in department files (2025-3-5, 2025年3月5日, 20250305,
Excel serials), decimals with thousands separators. Split from ``validation.py`` (the row
validator) so each stays readable."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

_SOFT = {cp: cp - 0xFEE0 for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B))}
_SOFT.update({0x3000: 0x20, 0x00A0: 0x20, 0x200B: None, 0x200C: None, 0x200D: None, 0xFEFF: None})
_WS = re.compile(r"\s+")
# The characters ``_SOFT`` changes, and those that are blank once it has (whitespace, zero-width).
_SOFT_CHARS = re.compile("[" + "".join(re.escape(chr(cp)) for cp in _SOFT) + "]")
_BLANK = "".join(chr(cp) for cp in range(0x3001) if chr(cp).isspace()) + "".join(
    chr(cp) for cp, to in _SOFT.items() if to is None
)

# Dates as real exports write them: 2019-09-01, 2019/9/1, 2019.09.01, 20190901, 2019年9月1日,
# optionally followed by a time of day.
_TIME = r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DATE_SEP = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})" + _TIME + "$")
_DATE_ZH = re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?" + _TIME + "$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})" + r"(?:\d{6})?$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's fictitious 1900-02-29
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")


def clean_text(value: Any, *, multiline: bool = False) -> str:
    """Full-width digits/letters/spaces to half-width; stray spaces trimmed and collapsed."""
    s = str(value)
    if not s.isascii() and _SOFT_CHARS.search(s):  # translate() is slow: only when it changes s
        s = s.translate(_SOFT)
    if multiline:
        lines = [" ".join(ln.split()) for ln in s.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
        return "\n".join(lines).strip()
    return " ".join(s.split())  # collapses runs of any whitespace and trims, in C


def clean_code(value: Any) -> str:
    """A code (USCC, ID number, document number ...): NFKC, no spaces, upper case."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # an all-digit code typed into Excel as a number
    s = str(value)
    if not s.isascii():  # NFKC leaves ASCII as it is
        s = unicodedata.normalize("NFKC", s)
    return "".join(s.split()).upper()  # = _WS.sub("", s): str.split knows the same whitespace


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        # Blank once full-width spaces and zero-width characters are dropped (``_SOFT``).
        return not value.strip(_BLANK)
    return value is None or value == []


def parse_date(value: Any) -> date | None:
    """A date from any format real exports use, or None when it is not unambiguously one."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_serial(float(value))
    s = unicodedata.normalize("NFKC", str(value)).strip()
    s = _WS.sub(" ", s)
    if _EXCEL_SERIAL.match(s):
        return _from_serial(float(s))
    m = _DATE_SEP.match(s) or _DATE_ZH.match(s.replace(" ", "")) or _DATE_COMPACT.match(s)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def _from_serial(serial: float) -> date | None:
    if not 1 <= serial <= _EXCEL_MAX_SERIAL:
        return None
    return _EXCEL_EPOCH + timedelta(days=int(serial))


def parse_decimal(value: Any) -> Decimal | None:
    """``1,000.00``, ``１０００``, ``1 000`` -> Decimal; None when not a plain number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    s = unicodedata.normalize("NFKC", str(value))
    s = _WS.sub("", s)
    if "," in s:
        # Only thousands separators: "1.000,00" is ambiguous and is not guessed.
        if not _THOUSANDS.match(s):
            return None
        s = s.replace(",", "")
    if not _DECIMAL.match(s):
        return None
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def decimal_text(d: Decimal) -> str:
    """A canonical text form, so ``1000.00`` and ``1000`` are the same content."""
    text = format(d.normalize(), "f")
    return "0" if text in ("-0", "+0") else text
