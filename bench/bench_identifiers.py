"""USCC validation: Xinyong's ``check_uscc`` against ``stdnum.cn.uscc.is_valid`` on the same codes.

The timed set holds only codes stdnum can accept (first 8 characters digits), so both libraries
do their full work on every code; A-, N- and Y-prefixed codes are reported as an agreement row.
"""

from __future__ import annotations

import random

from bench.common import Row, best_rate
from xinyong.core import identifiers as ids

# Taizhou (台州) divisions plus a few other real registration-authority divisions.
_DIVISIONS = (
    "331000",
    "331002",
    "331003",
    "331004",
    "331081",
    "331082",
    "331083",
    "331022",
    "100000",
    "440300",
)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org8(rnd: random.Random) -> str:
    if rnd.random() < 0.5:  # pre-2015 all-digit organisation codes
        return "".join(rnd.choice("0123456789") for _ in range(8))
    return "MA" + "".join(rnd.choice(_ORG_CHARS) for _ in range(6))  # post-2015 MA... codes


def generate(n: int, authorities: str, seed: int = 2026) -> list[str]:
    """``n`` valid USCCs from the given authorities; about 1 in 20 has a wrong inner check (错码)."""
    pairs = sorted(p for p in ids.uscc_pairs() if p[0] in authorities)
    rnd = random.Random(seed)
    out: list[str] = []
    for _ in range(n):
        pair = rnd.choice(pairs)
        code = ids.make_uscc(pair[0], pair[1], rnd.choice(_DIVISIONS), _org8(rnd))
        if rnd.random() < 0.05:
            wrong = rnd.choice([c for c in "0123456789X" if c != code[16]])
            first17 = code[:16] + wrong
            code = first17 + ids.uscc_check_char(first17)
        out.append(code)
    return out


def _substitute(code: str, rnd: random.Random) -> str:
    pos = rnd.randrange(18)
    return code[:pos] + rnd.choice([c for c in _ORG_CHARS if c != code[pos]]) + code[pos + 1 :]


def run(n: int = 200_000) -> list[Row]:
    from stdnum.cn import uscc as stdnum_uscc

    codes = [c for c in generate(n, "123456789") if stdnum_uscc.is_valid(c)]
    xy_rate, ref_rate = best_rate([ids.check_uscc, stdnum_uscc.is_valid], codes, repeat=5)
    ratio = xy_rate / ref_rate

    rnd = random.Random(7)
    sample = codes[: min(len(codes), 50_000)]
    corrupted = [_substitute(c, rnd) for c in sample]
    agree = sum(ids.check_uscc(c).valid == stdnum_uscc.is_valid(c) for c in sample + corrupted)
    agreement = 100.0 * agree / (2 * len(sample))

    any_codes = generate(max(n // 20, 1000), "ANY", seed=11)
    xy_any = 100.0 * sum(ids.check_uscc(c).valid for c in any_codes) / len(any_codes)
    ref_any = 100.0 * sum(stdnum_uscc.is_valid(c) for c in any_codes) / len(any_codes)

    return [
        Row(
            benchmark=f"USCC check_uscc, {len(codes):,} codes (full verdict + inner check)",
            measured=xy_rate,
            unit="codes/s",
            reference=ref_rate,
            reference_name="stdnum.cn.uscc.is_valid",
            goal="≥200,000/s and ≥5×",
            passed=xy_rate >= 200_000 and ratio >= 5,
            ratio=ratio,
        ),
        Row(
            benchmark=f"USCC verdict agreement, {len(sample):,} valid + {len(sample):,} one-char-corrupted",
            measured=agreement,
            unit="%",
            reference=None,
            reference_name="stdnum.cn.uscc.is_valid",
            goal="100 %",
            passed=agree == 2 * len(sample),
        ),
        Row(
            benchmark=f"valid A-/N-/Y-prefixed USCCs accepted, {len(any_codes):,} codes",
            measured=xy_any,
            unit="%",
            reference=ref_any,
            reference_name="stdnum.cn.uscc.is_valid",
            goal="Xinyong 100 %",
            passed=xy_any == 100.0,
            note="stdnum requires 8 leading digits and rejects them",
        ),
    ]
