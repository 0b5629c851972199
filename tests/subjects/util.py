"""Helpers for the subjects tests: valid codes built with the identifier helpers."""

from __future__ import annotations

from datetime import date

from xinyong.core.identifiers import make_ric, make_uscc, org_code_check_char, uscc_check_char


def uscc(n: int, *, authority: str = "9", entity_type: str = "1", division: str = "331002") -> str:
    """A valid USCC whose organisation code is ``n`` (zero-padded)."""
    return make_uscc(authority, entity_type, division, f"{n:08d}")


def uscc_inner_mismatch(n: int) -> str:
    """Valid under GB 32100 (outer check) but the embedded GB 11714 check character is wrong."""
    org8 = f"{n:08d}"
    good = org_code_check_char(org8)
    wrong = "1" if good != "1" else "2"
    first17 = "91331002" + org8 + wrong
    return first17 + uscc_check_char(first17)


def ric(seq: int, *, birth: date = date(1980, 5, 17), region: str = "331002") -> str:
    return make_ric(region, birth, seq)
