"""验真: is a report genuine, altered, expired or unknown?

* By number and check code (the verification page, the QR code): the register answers; a wrong
  check code is ``unknown`` (the register is not an index of everyone's reports).
* By file (an upload, ``xinyong report verify``): the SHA-256 of the bytes is looked up in the
  register. Found: the very file issued (``valid`` or ``expired``). Not found: the report number
  the signature names (or the signature alone) says whether it is one of ours that was changed
  (``altered``) or not ours at all (``unknown``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from xinyong.core.clock import today_china
from xinyong.reports.models import CreditReport
from xinyong.reports.rules import KIND_NAMES_ZH
from xinyong.reports.signing import REASON_PREFIX, SignatureCheck, check_signature

STATUSES = ("valid", "altered", "expired", "unknown")
STATUS_ZH = {"valid": "真实有效", "altered": "已被篡改", "expired": "已过有效期", "unknown": "无法识别"}
_NUMBER_IN_FILE = re.compile(re.escape(REASON_PREFIX.encode()) + rb"(XY\d{16})")
_NUMBER = re.compile(r"^XY\d{16}$")


@dataclass(frozen=True)
class Verification:
    status: str
    reason_zh: str
    number: str | None = None
    kind: str | None = None
    field: str | None = None
    subject_name: str | None = None
    subject_code: str | None = None
    issued_at: datetime | None = None
    valid_until: date | None = None
    registered_sha256: str | None = None
    file_sha256: str | None = None
    signature: SignatureCheck | None = None

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]

    @property
    def kind_zh(self) -> str:
        if self.kind is None:
            return ""
        name = KIND_NAMES_ZH.get(self.kind, self.kind)
        return f"{name}（{self.field}）" if self.field else name

    @property
    def valid(self) -> bool:
        return self.status == "valid"


def _of(row: CreditReport, status: str, reason_zh: str, **extra: object) -> Verification:
    return Verification(
        status=status,
        reason_zh=reason_zh,
        number=row.number,
        kind=row.kind,
        field=row.field,
        subject_name=row.subject_name,
        subject_code=row.subject_code,
        issued_at=row.issued_at,
        valid_until=row.valid_until,
        registered_sha256=row.sha256,
        **extra,  # type: ignore[arg-type]
    )


def _dated(row: CreditReport, today: date, **extra: object) -> Verification:
    if today > row.valid_until:
        return _of(
            row, "expired", f"报告真实，但已于 {row.valid_until.isoformat()} 过有效期，请重新申请", **extra
        )
    return _of(row, "valid", f"报告真实有效，有效期至 {row.valid_until.isoformat()}", **extra)


def verify_number(session: Session, number: str, check_code: str, today: date | None = None) -> Verification:
    today = today or today_china()
    number, check_code = number.strip().upper(), check_code.strip().upper()
    row = (
        session.scalar(select(CreditReport).where(CreditReport.number == number))
        if _NUMBER.match(number)
        else None
    )
    if row is None or row.check_code != check_code or row.sha256 is None:
        return Verification("unknown", "报告编号或验证码不正确，平台未出具过该报告", number=number or None)
    return _dated(row, today)


def verify_file(session: Session, pdf: bytes, today: date | None = None) -> Verification:
    today = today or today_china()
    digest = hashlib.sha256(pdf).hexdigest()
    row = session.scalar(select(CreditReport).where(CreditReport.sha256 == digest))
    if row is not None:
        return _dated(row, today, file_sha256=digest)
    signature = check_signature(pdf)
    match = _NUMBER_IN_FILE.search(pdf)
    if match is not None:
        row = session.scalar(select(CreditReport).where(CreditReport.number == match.group(1).decode()))
        if row is not None:
            return _of(
                row,
                "altered",
                "文件与平台出具的报告不一致（哈希值不符），内容已被改动，不能作为信用报告使用",
                file_sha256=digest,
                signature=signature,
            )
    if signature.signed and (signature.trusted or not signature.intact):
        return Verification(
            "altered",
            "文件带有平台签章但与登记的报告均不一致，内容已被改动",
            file_sha256=digest,
            signature=signature,
        )
    return Verification("unknown", "平台未出具过该文件，无法识别", file_sha256=digest, signature=signature)
