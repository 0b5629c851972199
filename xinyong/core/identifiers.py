"""Identifiers: 统一社会信用代码 (USCC, GB 32100-2015) and 居民身份证号码 (GB 11643-1999).

Not python-stdnum: ``stdnum.cn.uscc`` requires the first 8 characters to be digits and so rejects
valid A-, N- and Y-prefixed codes; it checks neither the authority/entity-type table nor the
embedded GB 11714 organisation code; and at ~10 µs a code it is too slow for ingest of millions of
rows. ``stdnum.cn.ric`` rejects valid numbers whose region code is newer than the birth date and
accepts birth dates in the future.

Every check returns an :class:`IdCheck` naming the rule that failed (``uscc.length``,
``ric.check_char`` ...) with a Chinese message. Input is normalised first: NFKC (full-width
characters), surrounding whitespace stripped, upper case.

The authority/entity-type table, the earliest accepted birth year and the placeholder words are
data in ``rulesets/default/identifiers.yaml``; the check-character algorithms are fixed by the
standards and live here.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from xinyong.core.clock import CHINA_TZ as _CHINA
from xinyong.core.settings import get_settings

Kind = Literal["uscc", "ric"]
InnerCheck = Literal["ok", "mismatch"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100: no I, O, S, V, Z
# GB 32100 weights (3**i mod 31), GB 11714 weights (2**(8-i) mod 11), ISO 7064 MOD 11-2 weights.
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

_DIGITS = frozenset("0123456789")
_USCC_VALUE = {ch: i for i, ch in enumerate(USCC_ALPHABET)}
# GB 11714 character values: digits, then A=10 ... Z=35.
_ORG_VALUE = {ch: int(ch, 36) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

# --- fast-path tables -------------------------------------------------------------------------
# Σ vᵢ·3ⁱ (mod 31) equals int(reversed values, base 34) mod 31 because 34 ≡ 3 (mod 31), so int()
# does the weighted sum in C. bytes.translate maps each USCC character to the base-34 digit of its
# value and every other byte to "!", which int() rejects: one call checks the alphabet too.
_B34 = bytearray(b"!" * 256)
for _i, _ch in enumerate(USCC_ALPHABET):
    _B34[ord(_ch)] = ord("0123456789ABCDEFGHIJKLMNOPQRSTU"[_i])
_B34_TABLE = bytes(_B34)
_USCC_CHECK = tuple(USCC_ALPHABET[-s % 31] for s in range(31))
# GB 11714: Σ vⱼ·2^(8-j) = 2·int(org8, 35) (mod 11) because 35 ≡ 2 (mod 11), and int()'s digit values
# (0-9, A=10 ... Y=34) are exactly GB 11714's. Check = 11 − Σ mod 11, 10 → X, 11 → 0.
_ORG_CHECK = tuple({10: "X", 11: "0"}.get(11 - r, str(11 - r)) for r in range(11))


@dataclass(frozen=True, slots=True)
class IdCheck:
    """The verdict on one identifier. ``inner_check`` is set only for a USCC that passed GB 32100."""

    code: str
    kind: Kind
    valid: bool
    error: str | None = None
    message_zh: str | None = None
    inner_check: InnerCheck | None = None

    def to_dict(self) -> dict[str, Any]:
        """``code, kind, valid, error`` and, for a USCC, ``inner_check``."""
        out: dict[str, Any] = {"code": self.code, "kind": self.kind, "valid": self.valid, "error": self.error}
        if self.kind == "uscc":
            out["inner_check"] = self.inner_check
        return out


# A frozen dataclass's __init__ sets each field through object.__setattr__; setting the slots
# directly halves the cost of the valid-code hot path (ingest validates every row).
_new_object = object.__new__
_set_code, _set_kind, _set_valid, _set_error, _set_msg, _set_inner = (
    IdCheck.__dict__[f].__set__ for f in ("code", "kind", "valid", "error", "message_zh", "inner_check")
)


def _valid_uscc(code: str, inner: InnerCheck) -> IdCheck:
    obj: IdCheck = _new_object(IdCheck)
    _set_code(obj, code)
    _set_kind(obj, "uscc")
    _set_valid(obj, True)
    _set_error(obj, None)
    _set_msg(obj, None)
    _set_inner(obj, inner)
    return obj


# English text of each rule code (IdCheck carries the Chinese message).
RULE_MESSAGES: dict[str, str] = {
    "uscc.length": "A unified social credit code has 18 characters",
    "uscc.charset": "Only digits and upper-case letters other than I, O, S, V, Z are allowed",
    "uscc.authority": "Unknown registration-authority code (character 1)",
    "uscc.entity_type": "Entity-type code (character 2) not valid for this registration authority",
    "uscc.division": "Characters 3-8 must be a 6-digit administrative-division code",
    "uscc.check_char": "Check character (18th) does not match",
    "ric.length": "A resident ID number has 18 characters",
    "ric.charset": "17 digits followed by a digit or X are required",
    "ric.birth_date": "The embedded birth date is not a real date",
    "ric.future_birth": "The embedded birth date lies in the future",
    "ric.check_char": "Check character (18th) does not match",
}


# --- rule tables (data) -----------------------------------------------------------------------
@dataclass(frozen=True)
class _Rules:
    authorities: dict[str, str]  # authority code -> name
    entity_types: dict[str, dict[str, str]]  # authority code -> entity type code -> name
    pairs: frozenset[str]  # valid first-two-character combinations
    min_birth_year: int
    provinces: frozenset[str]  # first two digits naming a province-level division
    placeholder_words: frozenset[str]


_RULES: _Rules | None = None
_PAIRS: frozenset[str] = frozenset()


def _require_provenance(entry: dict[str, Any], what: str) -> None:
    if not entry.get("effective_from") or not entry.get("source"):
        raise ValueError(f"identifiers.yaml: {what} needs effective_from and source")


def _load_rules(path: Path) -> _Rules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    authorities: dict[str, str] = {}
    entity_types: dict[str, dict[str, str]] = {}
    for entry in data["uscc_authorities"]:
        code = str(entry["code"]).upper()
        _require_provenance(entry, f"authority {code}")
        authorities[code] = str(entry["name_zh"])
        entity_types[code] = {str(k).upper(): str(v) for k, v in entry["entity_types"].items()}
    ric = data["ric"]
    _require_provenance(ric, "ric")
    placeholders = data["placeholders"]
    _require_provenance(placeholders, "placeholders")
    provinces = data["ric_provinces"]
    _require_provenance(provinces, "ric_provinces")
    return _Rules(
        authorities=authorities,
        entity_types=entity_types,
        pairs=frozenset(a + t for a, types in entity_types.items() for t in types),
        min_birth_year=int(ric["min_birth_year"]),
        provinces=frozenset(f"{int(p):02d}" for p in provinces["codes"]),
        placeholder_words=frozenset(str(w).strip().upper() for w in placeholders["words"]),
    )


def _rules() -> _Rules:
    global _RULES, _PAIRS
    if _RULES is None:
        _RULES = _load_rules(get_settings().ruleset_dir / "identifiers.yaml")
        _PAIRS = _RULES.pairs
    return _RULES


def reload_rules(path: Path | None = None) -> None:
    """Re-read the identifier tables (from ``path`` or the configured ruleset directory)."""
    global _RULES, _PAIRS
    _RULES = _load_rules(path) if path is not None else None
    _PAIRS = _RULES.pairs if _RULES is not None else frozenset()


def normalise(code: str) -> str:
    """The form every check works on: NFKC (full-width → ASCII), stripped, upper case."""
    c = code.strip().upper()
    if not c.isascii():
        c = unicodedata.normalize("NFKC", c).strip().upper()
    return c


# --- USCC -------------------------------------------------------------------------------------
def check_uscc(code: str) -> IdCheck:
    """GB 32100-2015 verdict on ``code``; a valid code also carries the GB 11714 ``inner_check``."""
    c = code.strip().upper()
    if not c.isascii():
        c = unicodedata.normalize("NFKC", c).strip().upper()
    pairs = _PAIRS or _rules().pairs
    if len(c) == 18 and c[:2] in pairs and c[2:8].isdigit():
        try:
            total = int(c.encode().translate(_B34_TABLE)[16::-1], 34)
        except ValueError:
            pass
        else:
            if _USCC_CHECK[total % 31] == c[17]:
                inner: InnerCheck = "ok" if _ORG_CHECK[2 * int(c[8:16], 35) % 11] == c[16] else "mismatch"
                return _valid_uscc(c, inner)
    return _diagnose_uscc(c)


def _uscc_error(c: str, rule: str, message_zh: str) -> IdCheck:
    return IdCheck(code=c, kind="uscc", valid=False, error=rule, message_zh=message_zh)


def _diagnose_uscc(c: str) -> IdCheck:
    """The rule-by-rule check (slow path): names the first rule that fails, in GB 32100 order."""
    rules = _rules()
    if len(c) != 18:
        return _uscc_error(c, "uscc.length", f"统一社会信用代码应为18位，实为{len(c)}位")
    for pos, ch in enumerate(c, start=1):
        if ch not in _USCC_VALUE:
            return _uscc_error(
                c,
                "uscc.charset",
                f"第{pos}位“{ch}”不是统一社会信用代码允许的字符（数字及除 I、O、S、V、Z 外的大写字母）",
            )
    if c[0] not in rules.authorities:
        return _uscc_error(c, "uscc.authority", f"第1位登记管理部门代码“{c[0]}”不存在")
    if c[1] not in rules.entity_types[c[0]]:
        allowed = "、".join(rules.entity_types[c[0]])
        return _uscc_error(
            c,
            "uscc.entity_type",
            f"第2位机构类别代码“{c[1]}”不适用于登记管理部门“{c[0]}”（{rules.authorities[c[0]]}），"
            f"可用：{allowed}",
        )
    if not all(ch in _DIGITS for ch in c[2:8]):
        return _uscc_error(c, "uscc.division", "第3至8位登记管理机关行政区划码应为6位数字")
    if uscc_check_char(c[:17]) != c[17]:
        return _uscc_error(c, "uscc.check_char", "第18位校验码不符，代码可能有录入错误")
    inner: InnerCheck = "ok" if org_code_check_char(c[8:16]) == c[16] else "mismatch"
    return IdCheck(code=c, kind="uscc", valid=True, inner_check=inner)


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(ch not in _USCC_VALUE for ch in first17):
        raise ValueError(f"need 17 USCC characters, got {first17!r}")
    total = sum(_USCC_VALUE[ch] * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[-total % 31]


def org_code_check_char(first8: str) -> str:
    """The GB 11714 organisation-code check character (0-9 or X) for its first 8 characters."""
    if len(first8) != 8 or any(ch not in _ORG_VALUE for ch in first8):
        raise ValueError(f"need 8 organisation-code characters (0-9, A-Z), got {first8!r}")
    total = sum(_ORG_VALUE[ch] * w for ch, w in zip(first8, ORG_CODE_WEIGHTS, strict=True))
    return _ORG_CHECK[total % 11]


def make_uscc(authority: str, entity_type: str, division: str, org8: str) -> str:
    """A valid USCC from its parts; ``org8`` is the organisation code without its check character."""
    rules = _rules()
    if authority + entity_type not in rules.pairs:
        raise ValueError(f"no entity type {entity_type!r} for registration authority {authority!r}")
    if len(division) != 6 or any(ch not in _DIGITS for ch in division):
        raise ValueError(f"division code must be 6 digits, got {division!r}")
    if len(org8) != 8 or any(ch not in _USCC_VALUE for ch in org8):
        raise ValueError(f"org8 must be 8 USCC characters, got {org8!r}")
    first17 = authority + entity_type + division + org8 + org_code_check_char(org8)
    return first17 + uscc_check_char(first17)


def uscc_pairs() -> frozenset[str]:
    """Every valid authority + entity-type prefix (``"91"``, ``"N2"``, ``"Y1"`` ...) of the table."""
    return _rules().pairs


def describe_uscc(code: str) -> tuple[str, str] | None:
    """(registration authority, entity type) names of a USCC, e.g. ("工商", "个体工商户")."""
    c = normalise(code)
    rules = _rules()
    if len(c) < 2 or c[:2] not in rules.pairs:
        return None
    return rules.authorities[c[0]], rules.entity_types[c[0]][c[1]]


# --- resident ID number -------------------------------------------------------------------------


def _ric_error(c: str, rule: str, message_zh: str) -> IdCheck:
    return IdCheck(code=c, kind="ric", valid=False, error=rule, message_zh=message_zh)


def ric_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character (0-9 or X) for 17 digits."""
    if len(first17) != 17 or any(ch not in _DIGITS for ch in first17):
        raise ValueError(f"need 17 digits, got {first17!r}")
    r = (12 - sum(int(ch) * w for ch, w in zip(first17, RIC_WEIGHTS, strict=True)) % 11) % 11
    return "X" if r == 10 else str(r)


def make_ric(region: str, birth: date, sequence: int) -> str:
    """A valid ID number: 6-digit region, birth date, 3-digit sequence (odd = male), check."""
    if len(region) != 6 or any(ch not in _DIGITS for ch in region):
        raise ValueError(f"region code must be 6 digits, got {region!r}")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence must be 0-999, got {sequence}")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + ric_check_char(first17)


def _real_birth_date(c: str) -> date | None:
    try:
        return date(int(c[6:10]), int(c[10:12]), int(c[12:14]))
    except ValueError:
        return None


def check_ric(code: str, today: date | None = None) -> IdCheck:
    """GB 11643-1999 verdict. Of the region code only the province is checked (GB/T 2260): people
    keep the county code of the office that issued the number, which may be newer than their
    birth."""
    c = normalise(code)
    if len(c) != 18:
        return _ric_error(c, "ric.length", f"居民身份证号码应为18位，实为{len(c)}位")
    if any(ch not in _DIGITS for ch in c[:17]) or (c[17] not in _DIGITS and c[17] != "X"):
        return _ric_error(c, "ric.charset", "居民身份证号码应为17位数字加1位数字或X")
    if c[:2] not in _rules().provinces:
        return _ric_error(c, "ric.region", f"前两位“{c[:2]}”不是省级行政区划代码")
    born = _real_birth_date(c)
    if born is None or born.year < _rules().min_birth_year:
        return _ric_error(c, "ric.birth_date", f"第7至14位出生日期“{c[6:14]}”不是有效日期")
    if born > (today or datetime.now(_CHINA).date()):
        return _ric_error(c, "ric.future_birth", f"出生日期{born.isoformat()}晚于今天")
    if ric_check_char(c[:17]) != c[17]:
        return _ric_error(c, "ric.check_char", "第18位校验码不符，号码可能有录入错误")
    return IdCheck(code=c, kind="ric", valid=True)


# --- either kind ------------------------------------------------------------------------------
def infer_kind(code: str) -> Kind:
    """``ric`` when the code has the ID-number shape (17 digits then a digit or X) with a real
    embedded birth date, unless it is a valid USCC and not a valid ID number; ``uscc`` otherwise.
    A code valid as both (rare: all-digit USCCs exist) is taken as an ID number."""
    c = normalise(code)
    shaped = len(c) == 18 and all(ch in _DIGITS for ch in c[:17]) and (c[17] in _DIGITS or c[17] == "X")
    if not shaped or _real_birth_date(c) is None:
        return "uscc"
    if check_uscc(c).valid and not check_ric(c).valid:
        return "uscc"
    return "ric"


def check_id(code: str, kind: Kind | None = None) -> IdCheck:
    """Check ``code`` as ``kind``, inferring the kind (see :func:`infer_kind`) when not given."""
    if kind is None:
        kind = infer_kind(code)
    checker: Callable[[str], IdCheck] = check_ric if kind == "ric" else check_uscc
    return checker(code)


def is_placeholder(code: str) -> bool:
    """True for the stand-ins departments send when they have no identifier: empty, "无", "/",
    one character repeated, an all-equal body before the check character (00000000000000000X)
    or a USCC whose organisation code is all zeros. Never an identity."""
    c = normalise(code)
    if not c or c in (_RULES or _rules()).placeholder_words:
        return True
    if not c.isalnum() and not any(ch.isalnum() for ch in c):
        return True
    body = c[:-1] if len(c) > 1 else c
    if body.count(body[0]) == len(body):
        return True
    # GB 11714 never assigns 00000000; "91331002000000000X"-style fillers keep a real prefix.
    return len(c) == 18 and c[8:16] == "00000000"


def mask_id_number(code: str) -> str:
    """Display form of an ID number: first 6 and last 4 kept (``331002********123X``)."""
    c = code.strip()
    if len(c) <= 10:
        return "*" * len(c)
    return c[:6] + "*" * (len(c) - 10) + c[-4:]


def mask_person_name(name: str) -> str:
    """张三丰 → 张**: the surname stays, the given name is hidden."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else name
