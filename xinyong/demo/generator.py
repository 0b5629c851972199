"""The deterministic demo city generator: plain data, no store.

One seed gives one city, byte for byte: the demo, the tests and the benchmarks all draw from
here. Everything is a stream (generator functions), so ``iter_subjects(seed, 1_000_000)`` and
``iter_records`` run in constant memory. Uniqueness of names, USCCs and ID numbers does not
rely on luck: each is a bijection (a small Feistel permutation) of the subject's sequence
number, so a million subjects never collide and the 重错码 cases appear only where we plant them.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import yaml

from xinyong.core.calendar import base_calendar
from xinyong.core.errors import UnknownCalendarYear
from xinyong.core.identifiers import make_uscc, org_code_check_char, ric_check_char, uscc_check_char
from xinyong.subjects.kinds import CATEGORY_OF_KIND

DATA_DIR = Path(__file__).resolve().parent / "data"
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Catalog item codes the generator emits (see rulesets/default/catalog/).
LICENCE = "administrative_licence"
PENALTY = "administrative_penalty"
JUDGMENT_DEBTOR = "dishonest_judgment_debtor"
COMMITMENT = "credit_commitment"
HONOUR = "honour"
RATING = "sector_rating"

# Every header the generator may write for an item, in the order a CSV export uses.
ITEM_HEADERS: dict[str, list[str]] = {
    LICENCE: [
        "XK_XDR_MC", "XK_XDR_LB", "XK_XDR_SHXYM", "XK_FRDB", "XK_XDR_ZJLX", "XK_XDR_ZJHM", "XK_XKWS", "XK_WSH",
        "XK_XKLB", "XK_XKZS", "XK_XKBH", "XK_NR", "XK_JDRQ", "XK_YXQZ", "XK_YXQZI", "XK_XKJG", "XK_XKJGDM",
        "XK_ZT", "XK_LYDW", "XK_LYDWDM", "CZLX",
    ],
    PENALTY: [
        "CF_WSH", "CF_XDR_MC", "CF_XDR_LB", "CF_XDR_SHXYM", "CF_FRDB", "CF_XDR_ZJLX", "CF_XDR_ZJHM", "CF_WFXW",
        "CF_SY", "CF_YJ", "CF_CFLB", "CF_NR", "CF_NR_FK", "CF_NR_WFFF", "CF_NR_ZKDX", "CF_JDRQ", "CF_CFJG",
        "CF_CFJGDM", "CF_SJLY", "CF_SJLYDM", "所属行业领域", "CZLX",
    ],
    JUDGMENT_DEBTOR: [
        "subject_name", "subject_category", "uscc", "legal_representative", "document_number", "court",
        "province", "basis_document_number", "basis_authority", "obligation", "performance",
        "dishonest_conduct", "decision_date", "CZLX",
    ],
    HONOUR: [
        "subject_name", "subject_category", "uscc", "document_number", "honour_name", "honour_level",
        "awarding_unit", "awarding_unit_code", "decision_date", "CZLX",
    ],
    RATING: [
        "subject_name", "subject_category", "uscc", "document_number", "rating_scheme", "rating", "rating_year",
        "rating_unit", "rating_unit_code", "decision_date", "CZLX",
    ],
    COMMITMENT: [
        "subject_name", "subject_category", "uscc", "document_number", "commitment_type", "commitment_matter",
        "accepting_unit", "accepting_unit_code", "fulfilment_status", "decision_date", "CZLX",
    ],
}  # fmt: skip


# --------------------------------------------------------------------------- city data


@dataclass(frozen=True)
class Division:
    code: str
    name: str  # 椒江区
    full: str  # 台州市椒江区 / 温岭市
    established: int
    streets: tuple[str, ...]

    @property
    def address_prefix(self) -> str:
        # County-level cities are written without the prefecture (浙江省温岭市…).
        return (
            self.full if self.full.startswith("台州市") or self.full.endswith("市") else "台州市" + self.full
        )


@dataclass(frozen=True)
class Department:
    """A provider (信息提供单位)."""

    code: str
    name: str
    role: str
    division: str
    items: tuple[str, ...]
    serves: tuple[str, ...]
    uscc: str


@dataclass(frozen=True)
class City:
    code: str
    name: str
    start: date
    as_of: date
    divisions: tuple[Division, ...]
    historic_divisions: tuple[dict[str, Any], ...]
    outside_divisions: tuple[dict[str, Any], ...]
    roads: tuple[str, ...]
    departments: tuple[Department, ...]

    def division(self, code: str) -> Division:
        for d in self.divisions:
            if d.code == code:
                return d
        raise KeyError(code)

    def department(self, code: str) -> Department:
        for d in self.departments:
            if d.code == code:
                return d
        raise KeyError(code)

    def provider_for(self, role: str, item: str, division: str) -> Department:
        """The department of ``role`` that handles ``item`` for subjects in ``division``:
        a branch serving the division if there is one, else the city-level department."""
        fallback: Department | None = None
        for d in self.departments:
            if d.role != role or item not in d.items:
                continue
            if division in d.serves:
                return d
            if not d.serves and fallback is None:
                fallback = d
        if fallback is None:
            raise KeyError(f"no {role} department submits {item}")
        return fallback


def _load_yaml(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, encoding="utf-8") as fh:
        data: dict[str, Any] = yaml.safe_load(fh)
    return data


def _department_uscc(code: str, division: str) -> str:
    # Government agencies: authority 1 (机构编制), entity type 1 (机关), org codes 00xxxxxx.
    org8 = f"00{zlib.crc32(code.encode()) % 1_000_000:06d}"
    return make_uscc("1", "1", division, org8)


@lru_cache(maxsize=1)
def load_city() -> City:
    raw = _load_yaml("taizhou.yaml")
    divisions = tuple(
        Division(d["code"], d["name"], d["full"], int(d["established"]), tuple(d["streets"]))
        for d in raw["divisions"]
    )
    departments = tuple(
        Department(
            code=d["code"],
            name=d["name"],
            role=d["role"],
            division=d["division"],
            items=tuple(d["items"]),
            serves=tuple(d.get("serves", ())),
            uscc=_department_uscc(d["code"], d["division"]),
        )
        for d in raw["departments"]
    )
    return City(
        code=raw["prefecture"]["code"],
        name=raw["prefecture"]["name"],
        start=raw["period"]["start"],
        as_of=raw["period"]["as_of"],
        divisions=divisions,
        historic_divisions=tuple(raw.get("historic_divisions", ())),
        outside_divisions=tuple(raw.get("outside_divisions", ())),
        roads=tuple(raw["roads"]),
        departments=departments,
    )


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    return _load_yaml("vocabulary.yaml")


@lru_cache(maxsize=1)
def _templates() -> dict[str, Any]:
    return _load_yaml("records.yaml")


# --------------------------------------------------------------------------- helpers


class _Permutation:
    """A keyed bijection of ``range(size)`` (4-round Feistel network with cycle walking)."""

    def __init__(self, size: int, key: str) -> None:
        self.size = size
        bits = max(2, (size - 1).bit_length())
        self.half = (bits + 1) // 2
        self.mask = (1 << self.half) - 1
        self.keys = [zlib.crc32(f"{key}/{r}".encode()) for r in range(4)]

    def __call__(self, i: int) -> int:
        if not 0 <= i < self.size:
            raise ValueError(f"{i} outside the permutation domain {self.size}")
        x = i
        while True:
            left, right = x >> self.half, x & self.mask
            for k in self.keys:
                f = ((right * 0x9E3779B1) ^ k ^ (right >> 3)) & 0xFFFFFFFF
                f = ((f ^ (f >> 15)) * 0x85EBCA6B) & self.mask
                left, right = right, left ^ f
            x = (left << self.half) | right
            if x < self.size:
                return x


@cache
def is_workday(d: date) -> bool:
    """The platform's calendar (national holidays plus the ruleset's corrections), so what the
    generator sends "on time" is on time for ingest too."""
    try:
        return base_calendar().is_workday(d)
    except UnknownCalendarYear:
        return d.weekday() < 5  # a year the calendar does not know: plain weekdays


def add_workdays(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if is_workday(d):
            n -= 1
    return d


def next_workday(d: date) -> date:
    while not is_workday(d):
        d += timedelta(days=1)
    return d


def _random_date(rng: random.Random, start: date, end: date) -> date:
    if end <= start:
        return start
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _decision_date(rng: random.Random, start: date, end: date) -> date:
    """Decisions fall on working days, except a few weekend decisions (on-the-spot cases)."""
    d = _random_date(rng, start, end)
    if rng.random() < 0.97 and not is_workday(d):
        wd = next_workday(d)
        d = wd if wd <= end else d
    return d


def _weighted(rng: random.Random, items: list[Any], weights: list[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _cn_amount(x: float) -> Decimal:
    return Decimal(str(round(x, 4))).normalize()


def _fmt_decimal(d: Decimal) -> str:
    """An amount as people read it: 0.2, 1.5, 12 (no trailing zeros, no exponent)."""
    return format(d.normalize(), "f")


def _readable_fine(wan: float) -> Decimal:
    """A fine in 万元 rounded as decisions state them: whole hundreds of yuan below 1 万元, whole
    thousands below 10 万元, whole 万元 above; never below 100 yuan (a 罚款 is never zero)."""
    step = Decimal("0.01") if wan < 1 else Decimal("0.1") if wan < 10 else Decimal(1)
    return max(Decimal(str(wan)).quantize(step, ROUND_HALF_UP), step)


# --------------------------------------------------------------------------- subjects


@dataclass(frozen=True)
class RelationSpec:
    """``related_key`` is ``role`` of ``subject_key`` (e.g. a person, legal rep of a company)."""

    subject_key: int
    related_key: int
    role: str
    since: date | None = None
    share_ratio: Decimal | None = None


@dataclass(frozen=True)
class SubjectSpec:
    key: int
    kind: str  # enterprise | organisation | individual_business | natural_person
    name: str
    division_code: str
    uscc: str | None = None
    id_number: str | None = None
    legal_representative: str | None = None
    address: str | None = None
    industry: str | None = None  # GB/T 4754 section letter
    registered_on: date | None = None
    registered_capital: Decimal | None = None  # 万元
    status: str = "存续"
    former_names: tuple[str, ...] = ()
    relations: tuple[RelationSpec, ...] = ()
    # 重错码 seed planted on purpose (for tests and the tour), e.g. "inner_check_mismatch".
    planted: str | None = None

    @property
    def category(self) -> str:
        return CATEGORY_OF_KIND[self.kind]


_PLACES_EXTRA = ("台州", "浙江")
_OLD_CODE_BEFORE = date(2015, 10, 1)  # 三证合一: codes issued after this use the new MA series
_PERSON_BIRTH_FROM = date(1978, 1, 1)  # first card issued (age 16) after the 1994 codes existed
_PERSON_BIRTH_DAYS = (date(2002, 12, 31) - _PERSON_BIRTH_FROM).days + 1


class _SubjectFactory:
    """Builds the subjects of one seed. Stateless per unit except for the key counter."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.city = load_city()
        v = _vocabulary()
        self.tn_chars: list[str] = v["trade_name_chars"]
        self.industry_words: list[tuple[str, str]] = [
            (ind["section"], w) for ind in v["industries"] for w in ind["words"]
        ]
        self.section_weights = v["industry_weights"]
        self.sections = [ind["section"] for ind in v["industries"]]
        self.words_by_section = {ind["section"]: ind["words"] for ind in v["industries"]}
        self.forms: list[str] = v["company_forms"]
        self.shops = {s["section"]: s["words"] for s in v["shops"]}
        self.coop_products: list[str] = v["cooperative_products"]
        self.organisations: list[dict[str, str]] = v["organisations"]
        self.surnames: list[str] = v["surnames"]
        self.given_male: list[str] = v["given_male"]
        self.given_female: list[str] = v["given_female"]
        self.statuses = [s["status"] for s in v["statuses"]]
        self.status_weights = [s["weight"] for s in v["statuses"]]
        self.places = [d.full for d in self.city.divisions] + list(_PLACES_EXTRA)
        n_tn = len(self.tn_chars)
        self.name_space = len(self.places) * len(self.industry_words) * n_tn * n_tn
        self.perm_name = _Permutation(self.name_space, f"{seed}/name")
        self.perm_old = _Permutation(9 * 10**7, f"{seed}/org-old")
        self.perm_new = _Permutation(len(USCC_ALPHABET) ** 5, f"{seed}/org-new")
        self.perm_person = _Permutation(len(self.city.divisions) * _PERSON_BIRTH_DAYS * 999, f"{seed}/ric")

    # ---- pieces

    def trade_name(self, rng: random.Random) -> str:
        a, b = rng.sample(self.tn_chars, 2)
        return a + b

    def person_name(self, rng: random.Random, male: bool) -> str:
        given = self.given_male if male else self.given_female
        name = rng.choice(self.surnames) + rng.choice(given)
        if rng.random() < 0.7:
            name += rng.choice(given)
        return name

    def address(self, rng: random.Random, division: Division) -> str:
        street = rng.choice(division.streets)
        road = rng.choice(self.city.roads)
        return f"浙江省{division.address_prefix}{street}{road}{rng.randint(1, 899)}号"

    def registered_on(self, rng: random.Random) -> date:
        # More registrations every year (a growing market), none after the demo's as_of.
        years = list(range(1998, self.city.as_of.year + 1))
        year = _weighted(rng, years, [1 + (y - 1998) ** 1.4 for y in years])
        d = _random_date(rng, date(year, 1, 1), min(date(year, 12, 31), self.city.as_of))
        return next_workday(d) if next_workday(d) <= self.city.as_of else d

    def org8(self, unit: int, registered_on: date) -> str:
        if registered_on < _OLD_CODE_BEFORE:
            return f"{self.perm_old(unit) + 10**7:08d}"
        x = self.perm_new(unit)
        chars = []
        for _ in range(5):
            x, r = divmod(x, len(USCC_ALPHABET))
            chars.append(USCC_ALPHABET[r])
        return "MA2" + "".join(chars)

    def id_number(self, unit: int) -> tuple[str, date, bool]:
        x = self.perm_person(unit)
        x, seq = divmod(x, 999)
        region_idx, day = divmod(x, _PERSON_BIRTH_DAYS)
        born = _PERSON_BIRTH_FROM + timedelta(days=day)
        region = self.city.divisions[region_idx].code
        for h in self.city.historic_divisions:
            # People keep the number first issued: 玉环县 (331021) for cards issued before 2017.
            if h["current"] == region and born.year + 16 < int(h["until"]):
                region = h["code"]
        seq += 1
        body = f"{region}{born:%Y%m%d}{seq:03d}"
        return body + ric_check_char(body), born, seq % 2 == 1

    # ---- whole subjects

    def person(self, rng: random.Random, key: int, unit: int, division: Division) -> SubjectSpec:
        number, _born, male = self.id_number(unit)
        return SubjectSpec(
            key=key,
            kind="natural_person",
            name=self.person_name(rng, male),
            division_code=division.code,
            id_number=number,
            address=self.address(rng, division),
        )

    def company(self, rng: random.Random, key: int, unit: int) -> SubjectSpec:
        j = self.perm_name(unit)
        n_tn = len(self.tn_chars)
        j, t2 = divmod(j, n_tn)
        j, t1 = divmod(j, n_tn)
        place_idx, word_idx = divmod(j, len(self.industry_words))
        section, word = self.industry_words[word_idx]
        place = self.places[place_idx]
        if place_idx < len(self.city.divisions):
            division = self.city.divisions[place_idx]
        else:
            division = rng.choice(self.city.divisions)
        tn = self.tn_chars[t1] + self.tn_chars[t2] if t1 != t2 else self.tn_chars[t1] + "华"
        form = rng.choice(self.forms)
        if place == "浙江" and form == "有限公司" and rng.random() < 0.5:
            form = "股份有限公司"
        registered = self.registered_on(rng)
        capital = Decimal(
            _weighted(
                rng,
                [10, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000],
                [6, 14, 22, 14, 9, 13, 10, 6, 4, 2],
            )
        )
        if form == "股份有限公司":
            capital *= 5
        former: tuple[str, ...] = ()
        if registered.year < 2018 and rng.random() < 0.06:
            former = (f"{place}{tn}{word}厂" if rng.random() < 0.5 else f"{place}{tn}{word}有限责任公司",)
            if former[0] == f"{place}{tn}{word}{form}":
                former = (f"{place}{tn}{word}厂",)
        return SubjectSpec(
            key=key,
            kind="enterprise",
            name=f"{place}{tn}{word}{form}",
            division_code=division.code,
            uscc=make_uscc("9", "1", division.code, self.org8(unit, registered)),
            address=self.address(rng, division),
            industry=section,
            registered_on=registered,
            registered_capital=capital,
            status=_weighted(rng, self.statuses, self.status_weights),
            former_names=former,
        )

    def cooperative(self, rng: random.Random, key: int, unit: int) -> SubjectSpec:
        division = rng.choice(self.city.divisions)
        registered = self.registered_on(rng)
        name = f"{division.full}{rng.choice(division.streets)}{self.trade_name(rng)}{rng.choice(self.coop_products)}专业合作社"
        return SubjectSpec(
            key=key,
            kind="enterprise",
            name=name,
            division_code=division.code,
            uscc=make_uscc("9", "3", division.code, self.org8(unit, registered)),
            address=self.address(rng, division),
            industry="A",
            registered_on=registered,
            registered_capital=Decimal(rng.choice([10, 20, 50, 100, 200])),
            status=_weighted(rng, self.statuses, self.status_weights),
        )

    def individual_business(self, rng: random.Random, key: int, unit: int) -> SubjectSpec:
        division = rng.choice(self.city.divisions)
        section = rng.choice(sorted(self.shops))
        street = rng.choice(division.streets) if rng.random() < 0.5 else ""
        prefix = division.full if division.full.endswith("市") else division.full.removeprefix("台州市")
        name = f"{prefix}{street}{self.trade_name(rng)}{rng.choice(self.shops[section])}"
        registered = self.registered_on(rng)
        return SubjectSpec(
            key=key,
            kind="individual_business",
            name=name,
            division_code=division.code,
            uscc=make_uscc("9", "2", division.code, self.org8(unit, registered)),
            address=self.address(rng, division),
            industry=section,
            registered_on=registered,
            status=_weighted(rng, self.statuses, self.status_weights),
        )

    def organisation(self, rng: random.Random, key: int, unit: int) -> SubjectSpec:
        tpl = rng.choice(self.organisations)
        division = rng.choice(self.city.divisions)
        place = self.city.name if rng.random() < 0.4 else division.full
        name = tpl["template"].format(
            place=place,
            tn=self.trade_name(rng),
            word=rng.choice(self.words_by_section["C"]),
            street=rng.choice(division.streets),
        )
        registered = self.registered_on(rng)
        div_code = self.city.code if place == self.city.name else division.code
        return SubjectSpec(
            key=key,
            kind="organisation",
            name=name,
            division_code=div_code,
            uscc=make_uscc(tpl["authority"], tpl["entity"], div_code, self.org8(unit, registered)),
            address=self.address(rng, division),
            industry=tpl["section"],
            registered_on=registered,
            status="存续",
        )


def iter_subjects(seed: int, n: int) -> Iterator[SubjectSpec]:
    """The city's ``n`` subjects, in key order (a person comes before the subjects it is
    linked to). Same seed and ``n`` → the same subjects; the first subjects of a bigger city
    are the subjects of a smaller one."""
    f = _SubjectFactory(seed)
    key = 0
    unit = 0
    last_company: SubjectSpec | None = None
    planted_mismatch = False
    drawn_names: set[str] = set()
    while key < n:
        rng = random.Random(f"{seed}/unit/{unit}")
        roll = rng.random()
        if roll < 0.70:
            spec = f.company(rng, key, unit)
        else:
            make = f.cooperative if roll < 0.73 else f.individual_business if roll < 0.87 else f.organisation
            # These names are drawn, not derived from the unit number: redraw the rare repeat so
            # that no two subjects share a name unless planted.
            spec = make(rng, key, unit)
            while spec.name in drawn_names:
                spec = make(rng, key, unit)
            drawn_names.add(spec.name)
        relations: list[RelationSpec] = []
        # Legal representative / operator / principal: a registered person for about a third.
        wants_person = spec.kind != "organisation" and rng.random() < 0.35 and key + 1 < n
        person_division = (
            load_city().division(spec.division_code) if spec.division_code != f.city.code else None
        )
        if wants_person:
            person = f.person(rng, key, unit, person_division or f.city.divisions[0])
            number = person.id_number or ""
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
            adult = date(born.year + 18, born.month, min(born.day, 28))
            yield person
            key += 1
            registered = max(spec.registered_on or adult, adult)
            if registered > f.city.as_of:
                registered = f.city.as_of
            spec = _replace(spec, key=key, legal_representative=person.name, registered_on=registered)
            relations.append(RelationSpec(key, person.key, "legal_representative", since=registered))
            if spec.kind == "enterprise" and rng.random() < 0.6:
                ratio = Decimal(rng.choice([30, 51, 60, 70, 80, 100]))
                relations.append(
                    RelationSpec(key, person.key, "shareholder", since=registered, share_ratio=ratio / 100)
                )
        else:
            spec = _replace(spec, key=key, legal_representative=f.person_name(rng, rng.random() < 0.8))
        # A few branches (分公司) of the previous company.
        if spec.kind == "enterprise" and last_company is not None and rng.random() < 0.02:
            branch_div = rng.choice(f.city.divisions)
            branch_name = f"{last_company.name}{branch_div.name}分公司"
        else:
            branch_name = ""
        if branch_name and last_company is not None and branch_name not in drawn_names:
            drawn_names.add(branch_name)
            spec = _replace(
                spec,
                name=branch_name,
                industry=last_company.industry,
                registered_capital=None,
                former_names=(),
            )
            relations.append(RelationSpec(last_company.key, key, "branch", since=spec.registered_on))
        # 错码 seed: the first company gets a code whose outer check passes but inner check fails.
        if spec.kind == "enterprise" and not planted_mismatch and spec.uscc:
            spec = _replace(spec, uscc=inner_mismatch_of(spec.uscc), planted="inner_check_mismatch")
            planted_mismatch = True
        if relations:
            spec = _replace(spec, relations=tuple(relations))
        if spec.kind == "enterprise" and "分公司" not in spec.name:
            last_company = spec
        yield spec
        key += 1
        unit += 1


def _replace(spec: SubjectSpec, **changes: Any) -> SubjectSpec:
    from dataclasses import replace

    return replace(spec, **changes)


def inner_mismatch_of(uscc: str) -> str:
    """The same code with a wrong embedded organisation-code check digit, and the outer check
    recomputed so GB 32100 still passes: a 错码 candidate."""
    org8 = uscc[8:16]
    good = org_code_check_char(org8)
    wrong = next(c for c in "0123456789X" if c != good)
    body = uscc[:16] + wrong
    return body + uscc_check_char(body)


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class RecordSpec:
    """One row a department sends, with its headers as the department writes them."""

    provider: str
    item: str
    subject_key: int | None  # None: a subject the registry does not know
    document_number: str
    decision_date: date
    received_on: date
    values: dict[str, str] = field(hash=False)
    operation: str = "add"  # add | correct | withdraw
    late: bool = False  # generated later than the 7-working-day 双公示 rule on purpose


def _push_weekday(provider: str) -> int:
    return zlib.crc32(provider.encode()) % 5


def _received(rng: random.Random, provider: str, decided: date, as_of: date, late: bool) -> date:
    """When the department sends the row: its weekly push day after the decision (at most 6
    working days later, so within the 7-working-day rule), or 9-40 working days late."""
    if late:
        d = add_workdays(decided, rng.randint(9, 40))
    else:
        d = add_workdays(decided, 1)
        push = _push_weekday(provider)
        for _ in range(5):
            if d.weekday() == push:
                break
            d = add_workdays(d, 1)
    return min(d, as_of) if decided <= as_of else d


class _RecordFactory:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.city = load_city()
        t = _templates()
        self.t = t
        self.licences: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        for role, kinds in t["licences"].items():
            for lic in kinds:
                for s in lic["sections"]:
                    self.licences.setdefault(s, []).append((role, lic))
        self.violation_roles: dict[str, dict[str, Any]] = t["violation_roles"]
        self.penalty_mix = [m["categories"] for m in t["penalty_mix"]]
        self.penalty_weights = [m["weight"] for m in t["penalty_mix"]]
        self.counters: dict[tuple[str, str, int], int] = {}
        self.abbrev = {d.code: _abbreviation(d) for d in self.city.departments}

    def next_number(self, provider: str, kind: str, year: int) -> int:
        k = (provider, kind, year)
        self.counters[k] = self.counters.get(k, 0) + 1
        return self.counters[k]

    def decided(self, rng: random.Random, dept: Department, kind: str, start: date) -> tuple[date, int]:
        """A decision's date and its number in the department's ``kind`` series of that year."""
        decided = _decision_date(rng, start, self.city.as_of)
        return decided, self.next_number(dept.code, kind, decided.year)

    def sent(
        self,
        rng: random.Random,
        dept: Department,
        item: str,
        s: SubjectSpec,
        document_number: str,
        decided: date,
        values: dict[str, str],
        late: bool = False,
    ) -> RecordSpec:
        """The row as the department sends it on its push day (or ``late``)."""
        received = _received(rng, dept.code, decided, self.city.as_of, late)
        return RecordSpec(dept.code, item, s.key, document_number, decided, received, values, late=late)

    # ---- subject identity columns

    @staticmethod
    def identity(prefix: str, s: SubjectSpec) -> dict[str, str]:
        v = {f"{prefix}_XDR_MC": s.name, f"{prefix}_XDR_LB": s.category}
        if s.kind == "natural_person":
            v[f"{prefix}_XDR_ZJLX"] = "身份证"
            v[f"{prefix}_XDR_ZJHM"] = s.id_number or ""
        else:
            v[f"{prefix}_XDR_SHXYM"] = s.uscc or ""
            v[f"{prefix}_FRDB"] = s.legal_representative or ""
        return v

    # ---- licences

    def licence(self, rng: random.Random, s: SubjectSpec, start: date) -> RecordSpec | None:
        options = self.licences.get(s.industry or "", [])
        if not options:
            return None
        role, lic = rng.choice(options)
        dept = self.city.provider_for(role, LICENCE, s.division_code)
        decided, n = self.decided(rng, dept, "licence", start)
        wsh = f"{self.abbrev[dept.code]}许〔{decided.year}〕{n}号"
        values = self.licence_values(s, dept, lic, decided, wsh, f"{lic['prefix']}{decided.year}{n:05d}")
        return self.sent(rng, dept, LICENCE, s, wsh, decided, values, late=rng.random() < 0.03)

    def licence_kinds(self, role: str) -> list[dict[str, Any]]:
        kinds: list[dict[str, Any]] = self.t["licences"][role]
        return kinds

    def licence_values(
        self, s: SubjectSpec, dept: Department, lic: dict[str, Any], decided: date, wsh: str, number: str
    ) -> dict[str, str]:
        """The XK_ columns of one licensing decision."""
        valid_to = ""
        if lic["years"]:
            valid_to = (
                date(decided.year + lic["years"], decided.month, min(decided.day, 28)) - timedelta(days=1)
            ).isoformat()
        values = self.identity("XK", s) | {
            "XK_XKWS": f"{lic['name']}准予许可决定书",
            "XK_WSH": wsh,
            "XK_XKLB": lic["category"],
            "XK_XKZS": lic["name"],
            "XK_XKBH": number,
            "XK_NR": lic["content"],
            "XK_JDRQ": decided.isoformat(),
            "XK_YXQZ": decided.isoformat(),
            "XK_YXQZI": valid_to or "2099-12-31",
            "XK_XKJG": dept.name,
            "XK_XKJGDM": dept.uscc,
            "XK_ZT": "1",
            "XK_LYDW": dept.name,
            "XK_LYDWDM": dept.uscc,
        }
        return values

    # ---- penalties

    def penalty(self, rng: random.Random, s: SubjectSpec, start: date) -> RecordSpec | None:
        section = s.industry or ""
        if s.kind == "natural_person":
            pv = rng.choice(self.t["person_violations"])
            role, v, categories = pv["role"], pv, list(pv["categories"])
        else:
            roles = [
                r
                for r, spec in self.violation_roles.items()
                if "*" in spec["sections"] or section in spec["sections"]
            ]
            if s.kind == "organisation":
                roles = [
                    r for r in roles if r in ("civil_affairs", "fire", "labour", "tax", "medical_insurance")
                ]
            if not roles:
                return None
            role = _weighted(rng, roles, [self.violation_roles[r]["weight"] for r in roles])
            v, categories = self.pick_violation(rng, role)
        dept = self.city.provider_for(role, PENALTY, s.division_code)
        decided, n = self.decided(rng, dept, "penalty", start)
        wsh = f"{self.abbrev[dept.code]}罚〔{decided.year}〕{n}号"
        values = self.penalty_values(rng, s, dept, role, v, categories, decided, wsh)
        return self.sent(rng, dept, PENALTY, s, wsh, decided, values, late=rng.random() < 0.05)

    def pick_violation(self, rng: random.Random, role: str) -> tuple[dict[str, Any], list[str]]:
        v = rng.choice(self.t["violations"][role])
        categories = list(_weighted(rng, self.penalty_mix, self.penalty_weights))
        return v, (["警告"] if v["fine"][1] == 0 else categories)

    def penalty_values(
        self,
        rng: random.Random,
        s: SubjectSpec,
        dept: Department,
        role: str,
        v: dict[str, Any],
        categories: list[str],
        decided: date,
        wsh: str,
    ) -> dict[str, str]:
        """The CF_ columns (current national edition) of one penalty decision."""
        fine = Decimal(0)
        if "罚款" in categories:
            lo, hi = v["fine"]
            # Log-uniform between the typical bounds: many small fines, few large ones. A
            # violation without a typical fine (a sample forcing 罚款 on it) gets a small one.
            lo = max(lo, 0.01)
            hi = hi if hi >= lo else lo * 10
            fine = _readable_fine(lo * (hi / lo) ** rng.random())
        confiscated = Decimal(0)
        if "没收违法所得" in categories:
            confiscated = _cn_amount(rng.uniform(0.1, 5)).quantize(Decimal("0.01"))
        fact = v["fact"].format(goods=rng.choice(v.get("goods", [""])))
        content_parts = []
        for c in categories:
            if c == "罚款":
                content_parts.append(f"罚款{_fmt_decimal(fine)}万元")
            elif c == "没收违法所得":
                content_parts.append(f"没收违法所得{_fmt_decimal(confiscated)}万元")
            elif c == "行政拘留":
                content_parts.append(f"行政拘留{rng.choice([5, 7, 10])}日")
            else:
                content_parts.append(c)
        values = self.identity("CF", s) | {
            "CF_WSH": wsh,
            "CF_WFXW": v["type"],
            "CF_SY": fact,
            "CF_YJ": v["basis"],
            "CF_CFLB": ";".join(categories),
            "CF_NR": "，".join(content_parts),
            "CF_NR_FK": _fmt_decimal(fine) if fine else "",
            "CF_NR_WFFF": _fmt_decimal(confiscated) if confiscated else "",
            "CF_NR_ZKDX": "营业执照"
            if ("吊销许可证件" in categories or "暂扣许可证件" in categories)
            else "",
            "CF_JDRQ": decided.isoformat(),
            "CF_CFJG": dept.name,
            "CF_CFJGDM": dept.uscc,
            "CF_SJLY": dept.name,
            "CF_SJLYDM": dept.uscc,
        }
        if role in self.t["sectors"]:
            values["所属行业领域"] = self.t["sectors"][role]
        return values

    # ---- the other catalog items

    def judgment_debtor(self, rng: random.Random, s: SubjectSpec, start: date) -> RecordSpec:
        dept = self.city.provider_for("court", JUDGMENT_DEBTOR, s.division_code)
        decided, n = self.decided(rng, dept, "zhi", start)
        court_abbr = {"TZ-ZY": "浙10", "JJ-FY": "浙1002", "WL-FY": "浙1081"}.get(dept.code, "浙10")
        case_no = f"（{decided.year}）{court_abbr}执{n}号"
        basis_year = decided.year - 1
        amount = rng.choice([3, 8, 12, 25, 48, 96, 150]) * 10_000 + rng.randrange(0, 9999)
        obligation = rng.choice(self.t["judgment_debtor"]["obligations"]).format(amount=amount)
        values = {
            "subject_name": s.name,
            "subject_category": s.category,
            "uscc": s.uscc or "",
            "legal_representative": s.legal_representative or "",
            "document_number": case_no,
            "court": dept.name,
            "province": "浙江",
            "basis_document_number": f"（{basis_year}）{court_abbr}民初{rng.randint(100, 9999)}号",
            "basis_authority": dept.name,
            "obligation": obligation,
            "performance": "全部未履行",
            "dishonest_conduct": rng.choice(self.t["judgment_debtor"]["situations"]),
            "decision_date": decided.isoformat(),
        }
        return self.sent(rng, dept, JUDGMENT_DEBTOR, s, case_no, decided, values)

    def honour(self, rng: random.Random, s: SubjectSpec, start: date) -> RecordSpec:
        role = rng.choice(sorted(self.t["honours"]))
        dept = self.city.provider_for(role, HONOUR, s.division_code)
        decided, n = self.decided(rng, dept, "honour", start)
        doc = f"{self.abbrev[dept.code]}〔{decided.year}〕{n}号-{s.key}"
        honour = rng.choice(self.t["honours"][role])
        values = {
            "subject_name": s.name,
            "subject_category": s.category,
            "uscc": s.uscc or "",
            "document_number": doc,
            "honour_name": honour,
            "honour_level": "省级" if honour.startswith("浙江省") else "市级",
            "awarding_unit": dept.name,
            "awarding_unit_code": dept.uscc,
            "decision_date": decided.isoformat(),
        }
        return self.sent(rng, dept, HONOUR, s, doc, decided, values)

    def rating(self, rng: random.Random, s: SubjectSpec, year: int) -> RecordSpec:
        dept = self.city.provider_for("tax", RATING, s.division_code)
        # 纳税信用等级 is published in April for the previous year.
        decided = next_workday(date(year + 1, 4, rng.randint(8, 25)))
        doc = f"纳税信用{year}-{s.uscc}"
        values = {
            "subject_name": s.name,
            "subject_category": s.category,
            "uscc": s.uscc or "",
            "document_number": doc,
            "rating_scheme": "纳税信用等级评价",
            "rating": "A",
            "rating_year": str(year),
            "rating_unit": dept.name,
            "rating_unit_code": dept.uscc,
            "decision_date": decided.isoformat(),
        }
        return RecordSpec(dept.code, RATING, s.key, doc, decided, add_workdays(decided, 1), values)

    def commitment(self, rng: random.Random, s: SubjectSpec, start: date) -> RecordSpec:
        role = "market_regulation" if rng.random() < 0.6 else "credit_office"
        dept = self.city.provider_for(role, COMMITMENT, s.division_code)
        decided, n = self.decided(rng, dept, "commitment", start)
        kinds = self.t["commitments"]["kinds"]
        kind = _weighted(rng, kinds, [40, 20, 10, 15, 15])
        doc = f"{self.abbrev[dept.code]}承诺〔{decided.year}〕{n}号"
        values = {
            "subject_name": s.name,
            "subject_category": s.category,
            "uscc": s.uscc or "",
            "document_number": doc,
            "commitment_type": kind,
            "commitment_matter": rng.choice(self.t["commitments"]["matters"][kind]),
            "accepting_unit": dept.name,
            "accepting_unit_code": dept.uscc,
            "fulfilment_status": "履约中" if decided.year >= self.city.as_of.year - 1 else "已履约",
            "decision_date": decided.isoformat(),
        }
        return self.sent(rng, dept, COMMITMENT, s, doc, decided, values)

    # ---- follow-ups: corrections and withdrawals

    def follow_up(self, rng: random.Random, rec: RecordSpec) -> RecordSpec | None:
        roll = rng.random()
        if roll < 0.02:
            values = dict(rec.values)
            if values.get("CF_NR_FK"):
                old = Decimal(values["CF_NR_FK"])
                values["CF_NR_FK"] = _fmt_decimal(_readable_fine(float(old) * 0.8))
                values["CF_NR"] = values["CF_NR"].replace(
                    f"罚款{_fmt_decimal(old)}万元", f"罚款{values['CF_NR_FK']}万元"
                )
            else:
                values["CF_SY"] = values["CF_SY"] + "（更正：补充违法事实）"
            op = "correct"
        elif roll < 0.027:
            values = dict(rec.values)
            op = "withdraw"
        else:
            return None
        values["CZLX"] = {"correct": "更正", "withdraw": "撤销"}[op]
        received = add_workdays(rec.received_on, rng.randint(5, 30))
        if received > self.city.as_of:
            return None
        return RecordSpec(
            rec.provider,
            rec.item,
            rec.subject_key,
            rec.document_number,
            rec.decision_date,
            received,
            values,
            operation=op,
        )

    # ---- per subject

    def for_subject(self, s: SubjectSpec) -> list[RecordSpec]:
        rng = random.Random(f"{self.seed}/records/{s.key}")
        start = max(self.city.start, s.registered_on or self.city.start)
        if start > self.city.as_of:
            return []
        out: list[RecordSpec] = []
        kind = s.kind
        p_licence = {"enterprise": 0.55, "individual_business": 0.45, "organisation": 0.35}.get(kind, 0.0)
        if rng.random() < p_licence:
            for _ in range(1 + min(int(rng.expovariate(1.3)), 4)):
                r = self.licence(rng, s, start)
                if r:
                    out.append(r)
        p_penalty = {
            "enterprise": 0.15,
            "individual_business": 0.12,
            "organisation": 0.05,
            "natural_person": 0.02,
        }[kind]
        if rng.random() < p_penalty:
            for _ in range(_weighted(rng, [1, 2, 3], [80, 15, 5])):
                r = self.penalty(rng, s, start)
                if r:
                    out.append(r)
                    f = self.follow_up(rng, r)
                    if f:
                        out.append(f)
        if kind in ("enterprise", "individual_business") and rng.random() < 0.004:
            out.append(self.judgment_debtor(rng, s, start))
        if kind == "enterprise":
            if not any(r.item == PENALTY for r in out) and rng.random() < 0.03:
                out.append(self.honour(rng, s, start))
            for year in range(self.city.start.year, self.city.as_of.year):
                if (s.registered_on or date.min).year < year and rng.random() < 0.08:
                    out.append(self.rating(rng, s, year))
            if rng.random() < 0.08:
                out.append(self.commitment(rng, s, start))
        return out


def _abbreviation(d: Department) -> str:
    """A document-number prefix such as 台市监 / 温市监 / 椒税."""
    short = {
        "market_regulation": "市监",
        "tax": "税",
        "environment": "环",
        "construction": "建",
        "transport": "交",
        "health": "卫",
        "emergency": "应急",
        "labour": "人社",
        "land": "自然资源",
        "agriculture": "农",
        "culture": "文旅",
        "commerce": "商务",
        "police": "公",
        "fire": "消",
        "water": "水",
        "education": "教",
        "civil_affairs": "民",
        "urban_management": "综执",
        "medical_insurance": "医保",
        "credit_office": "发改",
        "industry": "经信",
        "court": "法",
    }[d.role]
    place = {
        "331000": "台",
        "331002": "椒",
        "331003": "黄",
        "331004": "路",
        "331081": "温",
        "331082": "临",
        "331083": "玉",
    }
    return place.get(d.division, "台") + short


def iter_records(
    seed: int, n_subjects: int, subjects: Iterator[SubjectSpec] | None = None
) -> Iterator[RecordSpec]:
    """The records departments send about the city's subjects, subject by subject (not in
    date order), then the planted 重错码 rows. Streams: constant memory for any size."""
    factory = _RecordFactory(seed)
    city = factory.city
    firsts: list[SubjectSpec] = []
    for s in subjects if subjects is not None else iter_subjects(seed, n_subjects):
        if s.kind == "enterprise" and s.planted is None and "分公司" not in s.name and len(firsts) < 4:
            firsts.append(s)
        yield from factory.for_subject(s)
    yield from _planted_records(seed, factory, city, firsts)


def _planted_records(
    seed: int, factory: _RecordFactory, city: City, firsts: list[SubjectSpec]
) -> Iterator[RecordSpec]:
    """Records that name codes wrongly, as real departments' data does (for governance)."""
    rng = random.Random(f"{seed}/planted")
    dept = city.provider_for("market_regulation", LICENCE, "331002")
    decided = add_workdays(city.as_of - timedelta(days=40), 0)
    decided = next_workday(decided)
    received = add_workdays(decided, 2)

    def licence_row(name: str, uscc: str, legal_rep: str, n: int) -> RecordSpec:
        wsh = f"{factory.abbrev[dept.code]}许〔{decided.year}〕9{n:03d}号"
        values = {
            "XK_XDR_MC": name,
            "XK_XDR_LB": "法人及非法人组织",
            "XK_XDR_SHXYM": uscc,
            "XK_FRDB": legal_rep,
            "XK_XKWS": "食品经营许可证准予许可决定书",
            "XK_WSH": wsh,
            "XK_XKLB": "01",
            "XK_XKZS": "食品经营许可证",
            "XK_XKBH": f"JY{decided.year}9{n:04d}",
            "XK_NR": "预包装食品销售",
            "XK_JDRQ": decided.isoformat(),
            "XK_YXQZ": decided.isoformat(),
            "XK_YXQZI": date(decided.year + 5, decided.month, min(decided.day, 28)).isoformat(),
            "XK_XKJG": dept.name,
            "XK_XKJGDM": dept.uscc,
            "XK_ZT": "1",
            "XK_LYDW": dept.name,
            "XK_LYDWDM": dept.uscc,
        }
        return RecordSpec(dept.code, LICENCE, None, wsh, decided, received, values)

    n = 0
    if firsts:
        # One code, two names: a known code sent with a name the registry does not have.
        a = firsts[0]
        other_name = a.name.replace("有限公司", "有限责任公司") if "有限公司" in a.name else a.name + "（筹）"
        if other_name.endswith("股份有限责任公司"):
            other_name = a.name + "（筹）"
        yield licence_row(other_name, a.uscc or "", a.legal_representative or "", n)
        n += 1
    if len(firsts) > 1:
        # One name, two codes: a known name sent with a code the registry does not have.
        b = firsts[1]
        wrong = make_uscc("9", "1", b.division_code, "MA2" + "".join(rng.choices(USCC_ALPHABET, k=5)))
        yield licence_row(b.name, wrong, b.legal_representative or "", n)
        n += 1
    # Unknown codes: enterprises from other cities (→ provisional subjects).
    f = _SubjectFactory(seed)
    for i, od in enumerate(city.outside_divisions):
        r2 = random.Random(f"{seed}/outside/{i}")
        name = f"{od['full']}{f.trade_name(r2)}{r2.choice(['贸易', '物流', '商贸', '进出口'])}有限公司"
        code = make_uscc("9", "1", od["code"], f"MA{r2.randrange(10**6):06d}")
        yield licence_row(name, code, f.person_name(r2, True), n)
        n += 1
