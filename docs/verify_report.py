#!/usr/bin/env python3
"""Check a Xinyong credit report offline, with the platform's public certificate only.

    python verify_report.py 报告.pdf --cert report_signing_cert.pem [--sha256 <hash from /verify>]

The certificate is published at ``GET /api/v1/reports/certificate.pem`` (and linked from the
``/verify`` page). The script checks that:

1. the PDF carries a PAdES signature whose signed bytes are intact,
2. the signature was made by the key of that certificate,
3. the signature covers the whole file (nothing appended after signing),
4. optionally, that the file's SHA-256 equals the hash the platform registered (``--sha256``).

It prints the report number the signature names and the file's SHA-256; exit status 0 when
every check passes, 1 otherwise. Needs only ``pyhanko`` (pip install pyhanko); no database, no
network, no Xinyong installation.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
from pathlib import Path


def check(pdf: bytes, cert_pem: bytes) -> tuple[bool, list[str]]:
    from asn1crypto import pem, x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    lines: list[str] = []
    try:
        signatures = PdfFileReader(io.BytesIO(pdf), strict=False).embedded_signatures
    except Exception as exc:  # a damaged file may not parse at all
        return False, [f"无法解析 PDF / cannot parse the PDF: {exc}"]
    if not signatures:
        return False, ["文件没有电子签章 / no signature in the file"]
    signature = signatures[-1]
    reason = signature.sig_object.get("/Reason")
    if reason is not None:
        lines.append(f"签章说明 / reason: {reason}")
    _, _, der = pem.unarmor(cert_pem)
    context = ValidationContext(trust_roots=[x509.Certificate.load(der)], allow_fetching=False)
    try:
        status = validate_pdf_signature(signature, context)
    except Exception as exc:
        return False, [*lines, f"签章无法验证 / signature cannot be validated: {exc}"]
    intact = bool(status.intact and status.valid)
    trusted = bool(status.trusted)
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    lines.append(f"签章完整 / signature intact: {'是 yes' if intact else '否 NO'}")
    lines.append(f"由平台证书签署 / signed by the platform certificate: {'是 yes' if trusted else '否 NO'}")
    lines.append(f"签章覆盖整个文件 / covers the whole file: {'是 yes' if whole else '否 NO'}")
    if status.signer_reported_dt is not None:
        lines.append(f"签署时间 / signed at: {status.signer_reported_dt.isoformat()}")
    return intact and trusted and whole, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Verify a Xinyong credit report PDF offline.")
    parser.add_argument("pdf", type=Path, help="the report PDF")
    parser.add_argument("--cert", type=Path, required=True, help="the platform's report certificate (PEM)")
    parser.add_argument("--sha256", help="the SHA-256 the platform registered (shown by /verify)")
    args = parser.parse_args(argv)
    pdf = args.pdf.read_bytes()
    ok, lines = check(pdf, args.cert.read_bytes())
    digest = hashlib.sha256(pdf).hexdigest()
    lines.append(f"文件 SHA-256 / file SHA-256: {digest}")
    if args.sha256:
        same = digest == args.sha256.strip().lower()
        lines.append(f"与登记的哈希一致 / matches the registered hash: {'是 yes' if same else '否 NO'}")
        ok = ok and same
    print("\n".join(lines))
    print("结论 / result: " + ("真实有效 VALID" if ok else "验证未通过 NOT VALID（文件已被改动或不是平台出具的报告）"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
