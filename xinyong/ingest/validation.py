"""Row validation: raw values under original headers -> normalised catalog data, errors, warnings.

Each problem is ``{row, field, header, value, rule, message, message_zh}``. Errors reject the row
(it goes to quarantine); warnings are kept with an accepted row. What is unambiguous is
normalised (full-width digits and letters, stray spaces, the date formats real exports use);
everything else is reported, never guessed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from xinyong.catalog.service import (
    DECISION_DATE,
    DOCUMENT_NUMBER,
    ID_NUMBER,
    ID_TYPE,
    LEGAL_REPRESENTATIVE,
    OPERATION,
    SUBJECT_CATEGORY,
    SUBJECT_NAME,
    USCC,
    Catalog,
    CatalogItem,
    FieldSpec,
    normalise_enum,
)
from xinyong.core import identifiers
from xinyong.ingest.parsing import RawRow
from xinyong.ingest.screening import clip, screen, validity_order
from xinyong.ingest.values import (
    _BLANK,
    _INTEGER,
    _is_blank,
    clean_code,
    clean_text,
    decimal_text,
    parse_date,
    parse_decimal,
)
from xinyong.subjects import service as subjects_service

Problem = dict[str, Any]

NATURAL_PERSON = "natural_person"

# Full-width digits, letters and the ideographic space have one obvious half-width reading.
_CODE_TYPES = ("uscc", "id_number")
_MISS = object()
_WITHDRAW = ("withdraw", "撤销")
# 证件类型 values meaning the GB 11643 居民身份证 (111 is its code in GA/T 517 证件类型).
_RESIDENT_ID = ("身份证", "居民身份证", "中华人民共和国居民身份证", "111")


def mask_secret(code: str) -> str:
    """Masked form of a personal identifier kept in record data (ID numbers are never stored clear)."""
    return identifiers.mask_id_number(code)


def _enum_label(spec: FieldSpec | None, code: Any) -> str:
    if spec is None or not spec.enum or not isinstance(code, str):
        return str(code or "")
    for opt in spec.enum:
        if opt.code == code:
            return opt.label
    return code


@dataclass
class RowCheck:
    """A validated row: normalised data and problems; identity fields lifted out for the service."""

    number: int
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    document_number: str | None = None
    decision_date: date | None = None
    withdraw: bool = False
    subject_name: str | None = None
    subject_kind: str | None = None
    uscc: str | None = None
    id_number: str | None = None  # clear text only in memory, for subject resolution
    legal_representative: str | None = None
    # Other ID-number fields in clear text, in memory only (a register relation's related
    # person is identified by one); the stored data keep the masked form.
    other_ids: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Layout:
    """The columns of one header row: per field (in validation order) the headers that feed
    it, and the unnamed columns (``#3``: a trailing delimiter) that are ignored."""

    fields: list[tuple[FieldSpec, tuple[str, ...], _Handler]]
    unnamed: tuple[str, ...]
    # ``fields`` as the row loop walks them: (spec, the one header or None, all headers, handler).
    steps: tuple[tuple[FieldSpec, str | None, tuple[str, ...], _Handler], ...] = ()


_Placeholders = dict[str, tuple[str, Any]]
# Converts one field's raw value into ``out`` (``RowValidator._convert`` or a specialised copy).
_Handler = Callable[[RowCheck, FieldSpec, str, Any, _Placeholders], None]
# Distinct header rows remembered per submission (API rows may omit different empty fields).
_MAX_LAYOUTS = 256
# Distinct dates and codes remembered per submission (they repeat across a file).
_MAX_MEMO = 100_000
# Distinct cleaned texts remembered per text field and submission.
_MAX_TEXT_MEMO = 20_000


class RowValidator:
    """Validates the rows of one submission (it remembers document numbers to catch duplicates)."""

    def __init__(self, catalog: Catalog, item: CatalogItem, today: date) -> None:
        self.catalog = catalog
        self.item = item
        self.today = today
        # 证件类型 decides how 证件号码 is checked: convert it (and the category) first.
        first = (ID_TYPE, SUBJECT_CATEGORY, OPERATION)
        ordered = sorted(item.fields, key=lambda f: first.index(f.code) if f.code in first else len(first))
        self.fields = {f.code: f for f in ordered}
        self._resolved: dict[str, str | None] = {}
        self.unknown_headers: dict[str, None] = {}  # insertion-ordered set
        self._seen_documents: dict[str, int] = {}
        self._enum_cache: dict[tuple[str, Any], Any] = {}
        self._layouts: dict[tuple[str, ...], _Layout] = {}
        self._kinds: dict[tuple[str, str], str] = {}
        self._handlers = {code: self._handler(spec) for code, spec in self.fields.items()}
        self._dates: dict[str, date | None] = {}
        self.floor = item.earliest_date  # no date of this item lies before it

    def _enum(self, spec: FieldSpec, value: Any) -> str | list[str] | None:
        # Enumerated values repeat across a file: normalise each distinct one once.
        try:
            key = (spec.code, value)
            hit = self._enum_cache.get(key, _MISS)
        except TypeError:  # an unhashable value (a JSON list)
            return normalise_enum(spec, value)
        if hit is _MISS:
            hit = self._enum_cache[key] = normalise_enum(spec, value)
        return list(hit) if isinstance(hit, list) else hit

    def _date(self, value: Any) -> date | None:
        if type(value) is not str:
            return parse_date(value)
        hit = self._dates.get(value, _MISS)
        if hit is _MISS:
            hit = parse_date(value)
            if len(self._dates) < _MAX_MEMO:
                self._dates[value] = hit
        return hit  # type: ignore[return-value]

    # headers -----------------------------------------------------------------------------------
    def _layout(self, values: dict[str, Any]) -> _Layout:
        """Which columns feed which field, worked out once per distinct header row (a file has
        one; API batches a few) instead of once per row. Registers the unknown headers."""
        keys = tuple(values)
        layout = self._layouts.get(keys)
        if layout is not None:
            return layout
        by_field: dict[str, list[str]] = {}
        unnamed: list[str] = []
        for header in keys:
            code = self.resolve(header)
            if code is None:
                if header.startswith("#"):
                    unnamed.append(header)  # reported once a row puts a value in it
                    if _is_blank(values[header]):
                        continue
                if header not in self.unknown_headers:
                    self.unknown_headers[header] = None
                continue
            by_field.setdefault(code, []).append(header)
        fields = [
            (spec, tuple(by_field.get(code, ())), self._handlers[code]) for code, spec in self.fields.items()
        ]
        layout = _Layout(
            fields=fields,
            unnamed=tuple(unnamed),
            # A field no column feeds matters only when it is required (every row misses it).
            steps=tuple(
                (spec, headers[0] if len(headers) == 1 else None, headers, handler)
                for spec, headers, handler in fields
                if headers or spec.required
            ),
        )
        if len(self._layouts) < _MAX_LAYOUTS:
            self._layouts[keys] = layout
        return layout

    def resolve(self, header: str) -> str | None:
        if header not in self._resolved:
            code = self.catalog.resolve_header(self.item.code, header)
            self._resolved[header] = code if code in self.fields else None
        return self._resolved[header]

    def missing_required(self, headers: list[str]) -> list[FieldSpec]:
        present = {self.resolve(h) for h in headers}
        return [f for f in self.item.fields if f.required and f.code not in present]

    # rows ----------------------------------------------------------------------------------------
    def check(self, raw: RawRow) -> RowCheck:
        out = RowCheck(raw.number)
        if raw.error is not None:
            out.errors.append({"row": raw.number, "field": None, "header": None, "value": None, **raw.error})
            return out
        values = raw.values
        for problem in screen(raw.number, values):  # escapes what it reports, in place
            problem["field"] = self.resolve(problem["header"])
            out.errors.append(problem)
        layout = self._layout(values)
        for header in layout.unnamed:
            # An unnamed, empty column (a trailing delimiter) is noise, not an ignored column.
            if header not in self.unknown_headers and not _is_blank(values[header]):
                self.unknown_headers[header] = None

        placeholders: dict[str, tuple[str, Any]] = {}
        for spec, single, headers, handler in layout.steps:
            if single is not None:  # the usual case: one column per field (``_is_blank`` inline)
                value = values[single]
                if value.strip(_BLANK) if type(value) is str else not (value is None or value == []):
                    handler(out, spec, single, value, placeholders)
                    continue
                entries: list[tuple[str, Any]] | None = None
            else:
                entries = [(h, values[h]) for h in headers if not _is_blank(values[h])]
            if not entries:
                if spec.required:
                    self._missing(out.errors, out.number, spec)
                continue
            header, value = entries[0]
            if spec.type == "enum_multi" and len(entries) > 1:
                # Old-edition files split categories over CF_CFLB1/CF_CFLB2: join them.
                value = ";".join(str(v) for _, v in entries)
            elif len(entries) > 1:
                first = clean_text(value)
                for other_header, other in entries[1:]:
                    if clean_text(other) != first:
                        self._problem(
                            out.warnings,
                            out.number,
                            spec,
                            other_header,
                            other,
                            "ingest.conflicting_values",
                            f"Column {other_header!r} differs from {header!r}; the first was used",
                            f"“{other_header}”与“{header}”的值不一致，已采用“{header}”",
                        )
            handler(out, spec, header, value, placeholders)

        self._identity(out, placeholders)
        self._document(out)
        order = validity_order(out.number, out.data, self.fields)
        if order is not None:
            out.errors.append(order)
        return out

    def _handler(self, spec: FieldSpec) -> _Handler:
        """``_convert`` specialised for one field, for the common types: the happy path inline,
        anything unusual (a problem to report) through ``_convert`` itself."""
        code, t = spec.code, spec.type
        if t in ("string", "text") and code != DOCUMENT_NUMBER:
            multiline, limit = t == "text", spec.max_length
            lift = {SUBJECT_NAME: "subject_name", LEGAL_REPRESENTATIVE: "legal_representative"}.get(code)

            # Authorities, bases, categories ... repeat down a file: each distinct value is
            # cleaned once (bounded; a value that reports a problem goes through ``_convert``).
            seen: dict[str, str] = {}

            def string(out: RowCheck, spec: FieldSpec, header: str, value: Any, ph: _Placeholders) -> None:
                text = seen.get(value) if type(value) is str else None
                if text is not None:
                    out.data[code] = text
                    if lift is not None:
                        setattr(out, lift, text)
                    return
                text = clean_text(value, multiline=multiline)
                if not text or (limit is not None and len(text) > limit):
                    self._convert(out, spec, header, value, ph)
                    return
                if type(value) is str and len(seen) < _MAX_TEXT_MEMO:
                    seen[value] = text
                out.data[code] = text
                if lift is not None:
                    setattr(out, lift, text)

            return string
        if t == "date":
            decision = code == DECISION_DATE

            def date_(out: RowCheck, spec: FieldSpec, header: str, value: Any, ph: _Placeholders) -> None:
                d = self._date(value)
                if d is None or d < self.floor or (decision and d > self.today):
                    self._convert(out, spec, header, value, ph)
                    return
                out.data[code] = d.isoformat()
                if decision:
                    out.decision_date = d

            return date_
        if t in ("enum", "enum_multi") and code != OPERATION:

            def enum(out: RowCheck, spec: FieldSpec, header: str, value: Any, ph: _Placeholders) -> None:
                result = self._enum(spec, value)
                if not result:
                    self._convert(out, spec, header, value, ph)
                    return
                out.data[code] = result

            return enum
        if t == "uscc":
            # Authority and source-unit codes repeat on every row of a department's file: a code
            # that converted cleanly is remembered (one that reported anything is checked again).
            known: dict[str, str] = {}

            def uscc(out: RowCheck, spec: FieldSpec, header: str, value: Any, ph: _Placeholders) -> None:
                hit = known.get(value) if type(value) is str else None
                if hit is not None:
                    out.data[code] = hit
                    if code == USCC:
                        out.uscc = hit
                    return
                errors, warnings = len(out.errors), len(out.warnings)
                self._convert(out, spec, header, value, ph)
                if (
                    type(value) is str
                    and code in out.data
                    and len(out.errors) == errors
                    and len(out.warnings) == warnings
                    and len(known) < _MAX_MEMO
                ):
                    known[value] = out.data[code]

            return uscc
        return self._convert

    def _convert(
        self,
        out: RowCheck,
        spec: FieldSpec,
        header: str,
        value: Any,
        placeholders: dict[str, tuple[str, Any]],
    ) -> None:
        n, errors = out.number, out.errors
        t = spec.type
        if t in ("date",):
            d = self._date(value)
            if d is None:
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.date_format",
                    "Not a recognisable date",
                    f"“{spec.name_zh}”不是可识别的日期（如 2019-09-01、2019/9/1、20190901、2019年9月1日）",
                )
                return
            if d < self.floor:
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.date_too_early",
                    f"The date lies before {self.floor.isoformat()}, the earliest this item allows",
                    f"“{spec.name_zh}”早于本目录项允许的最早日期 {self.floor.isoformat()}",
                )
                return
            if spec.code == DECISION_DATE and d > self.today:
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.future_date",
                    "The decision date lies in the future",
                    f"“{spec.name_zh}”晚于今天，不能是未来日期",
                )
                return
            out.data[spec.code] = d.isoformat()
            if spec.code == DECISION_DATE:
                out.decision_date = d
            return
        if t == "decimal":
            dec = parse_decimal(value)
            if dec is None or not dec.is_finite():
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.decimal_format",
                    "Not a number",
                    f"“{spec.name_zh}”不是有效的数字",
                )
                return
            if dec < 0:
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.negative_amount",
                    "Amounts may not be negative",
                    f"“{spec.name_zh}”不能为负数",
                )
                return
            out.data[spec.code] = decimal_text(dec)
            return
        if t == "integer":
            s = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
            if isinstance(value, float) and value.is_integer():
                s = str(int(value))
            if not _INTEGER.match(s):
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.integer_format",
                    "Not a whole number",
                    f"“{spec.name_zh}”不是整数",
                )
                return
            out.data[spec.code] = int(s)
            return
        if t in ("enum", "enum_multi"):
            code = self._enum(spec, value)
            if not code:
                allowed = "、".join(o.label for o in (spec.enum or []))
                self._problem(
                    errors,
                    n,
                    spec,
                    header,
                    value,
                    "ingest.enum",
                    f"Not one of the allowed values: {allowed}",
                    f"“{spec.name_zh}”的取值不在允许范围内（{allowed}）",
                )
                return
            if spec.code == OPERATION:
                # An instruction, not content: resending a row marked 新增 must stay "unchanged".
                out.withdraw = isinstance(code, str) and (
                    code in _WITHDRAW or _enum_label(spec, code) in _WITHDRAW
                )
                return
            out.data[spec.code] = code
            return
        if t in _CODE_TYPES:
            code_value = clean_code(value)
            if identifiers.is_placeholder(code_value):
                placeholders[spec.code] = (header, value)  # judged once the row's identity is known
                return
            if not self._check_length(out, spec, header, value, code_value):
                return
            if t == "uscc":
                res = identifiers.check_uscc(code_value)
                if not res.valid:
                    self._problem(
                        errors,
                        n,
                        spec,
                        header,
                        value,
                        res.error or "uscc.invalid",
                        "Not a valid unified social credit code",
                        f"“{spec.name_zh}”不是有效的统一社会信用代码：{res.message_zh or res.error}",
                    )
                    return
                if res.inner_check == "mismatch":
                    self._problem(
                        out.warnings,
                        n,
                        spec,
                        header,
                        value,
                        "uscc.inner_check_mismatch",
                        "The embedded organisation code fails its check (错码 candidate)",
                        "统一社会信用代码中的组织机构代码校验位不符（疑似错码），已接收并提交治理复核",
                    )
                out.data[spec.code] = code_value
                if spec.code == USCC:
                    out.uscc = code_value
                return
            # id_number: GB 11643 applies to 居民身份证 only; other document types are kept as sent.
            if self._is_resident_id(out, spec.id_type_field or ID_TYPE):
                res = identifiers.check_ric(code_value, today=self.today)
                if not res.valid:
                    self._problem(
                        errors,
                        n,
                        spec,
                        header,
                        value,
                        res.error or "ric.invalid",
                        "Not a valid resident ID number",
                        f"“{spec.name_zh}”不是有效的居民身份证号码：{res.message_zh or res.error}",
                    )
                    return
            out.data[spec.code] = mask_secret(code_value)
            if spec.code == ID_NUMBER:
                out.id_number = code_value
            else:
                out.other_ids[spec.code] = code_value
            return
        # string / text
        text = clean_code(value) if spec.code == DOCUMENT_NUMBER else clean_text(value, multiline=t == "text")
        if not text:
            if spec.required:
                self._missing(errors, n, spec, header, value)
            return
        if not self._check_length(out, spec, header, value, text):
            return
        out.data[spec.code] = text
        if spec.code == SUBJECT_NAME:
            out.subject_name = text
        elif spec.code == DOCUMENT_NUMBER:
            out.document_number = text
        elif spec.code == LEGAL_REPRESENTATIVE:
            out.legal_representative = text

    def _check_length(self, out: RowCheck, spec: FieldSpec, header: str, value: Any, text: str) -> bool:
        if spec.max_length is not None and len(text) > spec.max_length:
            self._problem(
                out.errors,
                out.number,
                spec,
                header,
                value,
                "ingest.max_length",
                f"Longer than {spec.max_length} characters",
                f"“{spec.name_zh}”超过最大长度 {spec.max_length} 个字符",
            )
            return False
        return True

    def _is_resident_id(self, out: RowCheck, type_field: str) -> bool:
        id_type = out.data.get(type_field)
        if not id_type:
            return True
        label = _enum_label(self.fields.get(type_field), id_type)
        return label in _RESIDENT_ID or str(id_type) in _RESIDENT_ID

    def _identity(self, out: RowCheck, placeholders: dict[str, tuple[str, Any]]) -> None:
        """A row must name its subject: USCC, or the ID number when the category says 自然人."""
        category = out.data.get(SUBJECT_CATEGORY)
        if category is not None or out.uscc is not None:
            # The kind depends on the category and the code's first two characters only.
            key = (category if isinstance(category, str) else repr(category), (out.uscc or "")[:2])
            kind = self._kinds.get(key)
            if kind is None:
                label = (
                    _enum_label(self.fields.get(SUBJECT_CATEGORY), category) if category is not None else None
                )
                kind = self._kinds[key] = subjects_service.kind_from_category(label, out.uscc)
            out.subject_kind = kind
        elif out.id_number is not None or ID_NUMBER in placeholders:
            out.subject_kind = NATURAL_PERSON
        needed = ID_NUMBER if out.subject_kind == NATURAL_PERSON else USCC
        for code, (header, value) in placeholders.items():
            pspec = self.fields[code]
            if code == needed:
                self._problem(
                    out.errors,
                    out.number,
                    pspec,
                    header,
                    value,
                    "ingest.placeholder_code",
                    "A placeholder code cannot identify a subject",
                    f"“{pspec.name_zh}”为占位代码（如 00000000000000000X），不能作为主体身份标识",
                )
            else:
                # Never stored; the row stands on its real identifier.
                self._problem(
                    out.warnings,
                    out.number,
                    pspec,
                    header,
                    value,
                    "ingest.placeholder_code",
                    "A placeholder code was ignored",
                    f"“{pspec.name_zh}”为占位代码，已忽略，不作为身份标识保存",
                )
        reported = needed in placeholders or any(e["field"] == needed for e in out.errors)
        identified = out.id_number if needed == ID_NUMBER else out.uscc
        if not reported and identified is None:
            spec = self.fields.get(needed)
            if needed == ID_NUMBER:
                message = "A natural person must be identified by an ID number"
                message_zh = "行政相对人为自然人时必须填写证件号码"
            else:
                message = "The subject must be identified by its unified social credit code"
                message_zh = "法人、非法人组织和个体工商户必须填写统一社会信用代码（自然人请填写证件号码）"
            self._problem(
                out.errors,
                out.number,
                spec,
                spec.name_zh if spec else needed,
                None,
                "ingest.subject_identity",
                message,
                message_zh,
            )
        name_spec = self.fields.get(SUBJECT_NAME)
        if (
            out.subject_name is None
            and name_spec is not None
            and not any(e["field"] == SUBJECT_NAME for e in out.errors)
        ):
            self._missing(out.errors, out.number, name_spec)

    def _document(self, out: RowCheck) -> None:
        doc = out.document_number
        if doc is None:
            if DOCUMENT_NUMBER in self.fields and not any(e["field"] == DOCUMENT_NUMBER for e in out.errors):
                spec = self.fields[DOCUMENT_NUMBER]
                # The document number is the record's key: without it nothing can be stored idempotently.
                self._missing(out.errors, out.number, spec)
            return
        first = self._seen_documents.setdefault(doc, out.number)
        if first != out.number:
            spec = self.fields[DOCUMENT_NUMBER]
            self._problem(
                out.errors,
                out.number,
                spec,
                spec.name_zh,
                doc,
                "ingest.duplicate_in_file",
                f"The document number already appears in row {first} of this submission",
                f"文书号“{doc}”与本次提交第 {first} 行重复",
            )

    @classmethod
    def _missing(
        cls, bucket: list[Problem], row: int, spec: FieldSpec, header: str | None = None, value: Any = None
    ) -> None:
        """A required value is empty (``header`` defaults to the field's Chinese name)."""
        cls._problem(
            bucket,
            row,
            spec,
            spec.name_zh if header is None else header,
            value,
            "ingest.required",
            "A required value is missing",
            f"必填项“{spec.name_zh}”为空",
        )

    @staticmethod
    def _problem(
        bucket: list[Problem],
        row: int,
        spec: FieldSpec | None,
        header: str | None,
        value: Any,
        rule: str,
        message: str,
        message_zh: str,
    ) -> None:
        bucket.append(
            {
                "row": row,
                "field": spec.code if spec else None,
                "header": header,
                # A long value is echoed (and stored) as its first 200 characters and its length.
                "value": clip(
                    value if value is None or isinstance(value, str | int | float | bool) else str(value)
                ),
                "rule": rule,
                "message": message,
                "message_zh": message_zh,
            }
        )
