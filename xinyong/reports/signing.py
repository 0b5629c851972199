"""The platform's report signing key and certificate, and the PAdES signature of a report.

The key is RSA 3072 (what Adobe Reader and WPS validate everywhere) with a self-signed X.509
certificate naming the issuing platform. Both are created on first use under ``var/``:
``report_signing_key.pem`` (private, mode 0600) and ``report_signing_cert.pem`` (public: the
certificate is what a reader trusts and what ``docs/verify_report.py`` checks with). An operator
puts a key and a certificate issued by a CA at ``XINYONG_REPORT_KEY_FILE`` /
``XINYONG_REPORT_CERT_FILE`` instead; an explicit path that does not exist is an error, never a
silently new key. The certificate is served at ``GET /api/v1/reports/certificate.pem``.
"""

from __future__ import annotations

import asyncio
import io
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from xinyong.core.errors import DomainError
from xinyong.core.settings import get_settings

KEY_FILE_NAME = "report_signing_key.pem"
CERT_FILE_NAME = "report_signing_cert.pem"
KEY_FILE_ENV = "XINYONG_REPORT_KEY_FILE"
CERT_FILE_ENV = "XINYONG_REPORT_CERT_FILE"
# The signature's /Reason carries the report number in ASCII, so a damaged file still names it.
REASON_PREFIX = "Xinyong credit report "
SIGNATURE_FIELD = "XinyongReportSignature"
# Bytes reserved for the CMS signature container (RSA 3072 + certificate + signed attributes is
# about 2.3 KB; a CA-issued certificate chain fits too).
_RESERVED = 16384


T = TypeVar("T")


class ReportKeyMissing(DomainError):
    status_code = 503
    code = "report_key_missing"


@dataclass(frozen=True)
class ReportKey:
    key_pem: bytes
    cert_pem: bytes
    signer: Any  # pyhanko SimpleSigner


_lock = threading.Lock()
_cache: dict[tuple[str, str], ReportKey] = {}


def _paths() -> tuple[Path, Path, bool]:
    key_env, cert_env = os.environ.get(KEY_FILE_ENV, ""), os.environ.get(CERT_FILE_ENV, "")
    if key_env or cert_env:
        if not (key_env and cert_env):
            raise ReportKeyMissing(
                f"Set both {KEY_FILE_ENV} and {CERT_FILE_ENV}",
                f"须同时配置 {KEY_FILE_ENV} 和 {CERT_FILE_ENV}",
            )
        return Path(key_env), Path(cert_env), True
    var = get_settings().var_dir
    return var / KEY_FILE_NAME, var / CERT_FILE_NAME, False


def _write_new(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)  # fails if another process created it first: its file wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def _create(key_path: Path, cert_path: Path, platform_zh: str) -> None:
    key_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    _write_new(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        0o600,
    )
    # Another process may have won the race: certify the key that is on disk.
    loaded = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, platform_zh),
            x509.NameAttribute(NameOID.COMMON_NAME, f"{platform_zh} 信用报告签章"),
        ]
    )
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(loaded.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(loaded, hashes.SHA256())
    )
    _write_new(cert_path, cert.public_bytes(serialization.Encoding.PEM), 0o644)


def report_key(platform_zh: str = "公共信用信息平台") -> ReportKey:
    """The signing key and certificate (created on first use unless configured explicitly)."""
    key_path, cert_path, explicit = _paths()
    cache_key = (str(key_path), str(cert_path))
    with _lock:
        hit = _cache.get(cache_key)
        if hit is not None:
            return hit
        if not (key_path.exists() and cert_path.exists()):
            if explicit:
                raise ReportKeyMissing(
                    f"Report signing key {key_path} or certificate {cert_path} does not exist",
                    "信用报告签章密钥或证书文件不存在，请检查 XINYONG_REPORT_KEY_FILE / XINYONG_REPORT_CERT_FILE",
                    key=str(key_path),
                    certificate=str(cert_path),
                )
            _create(key_path, cert_path, platform_zh)
        key_pem, cert_pem = key_path.read_bytes(), cert_path.read_bytes()
        from pyhanko.keys import load_cert_from_pemder, load_private_key_from_pemder
        from pyhanko_certvalidator.registry import SimpleCertificateStore

        try:
            signer = _signer_class()(
                signing_cert=load_cert_from_pemder(str(cert_path)),
                signing_key=load_private_key_from_pemder(str(key_path), passphrase=None),
                cert_registry=SimpleCertificateStore(),
            )
        except (ValueError, OSError) as exc:
            raise ReportKeyMissing(
                f"Cannot load the report signing key {key_path}: {exc}",
                "无法读取信用报告签章密钥或证书",
                key=str(key_path),
            ) from exc
        hit = _cache[cache_key] = ReportKey(key_pem, cert_pem, signer)
        return hit


@lru_cache(maxsize=1)
def _signer_class() -> Any:
    """pyHanko's SimpleSigner re-parses (and re-checks) the RSA key for every signature, a sixth of
    a second for RSA 3072: this one parses it once."""
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from pyhanko.sign import signers

    class CachedKeySigner(signers.SimpleSigner):
        _pyca_key: rsa.RSAPrivateKey | None = None

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
            if mechanism != "rsassa_pkcs1v15":
                return bytes(super().sign_raw(data, digest_algorithm))
            if self._pyca_key is None:
                loaded = serialization.load_der_private_key(self.signing_key.dump(), password=None)
                assert isinstance(loaded, rsa.RSAPrivateKey)
                self._pyca_key = loaded
            hash_algo = {"sha256": hashes.SHA256(), "sha384": hashes.SHA384(), "sha512": hashes.SHA512()}
            return self._pyca_key.sign(data, PKCS1v15(), hash_algo[digest_algorithm])

    return CachedKeySigner


def certificate_pem() -> bytes:
    return report_key().cert_pem


def sign_pdf(pdf: bytes, number: str, *, platform_zh: str, location: str = "") -> bytes:
    """``pdf`` signed (PAdES baseline B-B, SHA-256) by the report key; the signature's reason
    names the report number."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    key = report_key(platform_zh)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=f"{REASON_PREFIX}{number}",
        location=location or None,
        name=platform_zh,
    )
    out = io.BytesIO()
    # Room for the CMS container given up front: otherwise pyHanko signs twice (once to measure).
    signer = signers.PdfSigner(meta, signer=key.signer)
    _off_loop(lambda: signer.sign_pdf(writer, output=out, bytes_reserved=_RESERVED))
    return out.getvalue()


def _off_loop(fn: Callable[[], T]) -> T:
    """``fn()``, in a worker thread when this thread runs an event loop: pyHanko's synchronous
    API calls ``asyncio.run``, which refuses to run inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn).result()


@dataclass(frozen=True)
class SignatureCheck:
    """What the PDF's own signature says (independent of the register)."""

    signed: bool  # a signature field with a signature is there
    intact: bool  # the signed bytes hash to what was signed and the signature verifies
    trusted: bool  # signed by the report key's certificate
    covers_whole_file: bool  # nothing was appended after signing
    reason: str


def check_signature(pdf: bytes, cert_pem: bytes | None = None) -> SignatureCheck:
    """Validate the embedded PAdES signature against the report certificate (the public part
    only: this is what ``docs/verify_report.py`` does too)."""
    from asn1crypto import pem as asn1_pem
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        sigs = reader.embedded_signatures
    except Exception as exc:  # any parse failure of a damaged file
        return SignatureCheck(False, False, False, False, f"无法解析 PDF：{type(exc).__name__}")
    if not sigs:
        return SignatureCheck(False, False, False, False, "文件没有电子签章")
    pem_bytes = cert_pem or certificate_pem()
    _, _, der = asn1_pem.unarmor(pem_bytes)
    root = asn1_x509.Certificate.load(der)
    ctx = ValidationContext(trust_roots=[root], allow_fetching=False)
    try:
        status = _off_loop(lambda: validate_pdf_signature(sigs[-1], ctx))
    except Exception as exc:
        return SignatureCheck(True, False, False, False, f"签章无法验证：{type(exc).__name__}")
    whole = status.coverage is not None and status.coverage.name == "ENTIRE_FILE"
    intact = bool(status.intact and status.valid)
    trusted = intact and bool(status.trusted)
    reason = "签章有效" if intact and trusted and whole else "签章无效或文件已被改动"
    return SignatureCheck(True, intact, trusted, whole, reason)
