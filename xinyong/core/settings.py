"""Settings from the environment (prefix ``XINYONG_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINYONG_", extra="ignore")

    database_url: str = Field(default=f"sqlite:///{PROJECT_ROOT / 'var' / 'xinyong.db'}")
    # A PostgreSQL schema to use (tests give each run its own); empty means the default.
    database_schema: str = ""
    # Connections the store keeps open per process. The server runs sync routes on up to 40
    # threads (anyio's default), so a smaller pool makes every busy request open (and, on
    # SQLite, re-PRAGMA) a fresh connection and throw it away. Operational knob.
    db_pool_size: int = 40
    # SQLite only: bytes of the store read through a memory map (0 = off). Operational knob.
    sqlite_mmap_bytes: int = 1 << 30
    # SQLite only: page cache of the connection while a submission writes (0 = SQLite's 2 MiB
    # default). A bulk submission updates a dozen indexes at random places; with the default
    # cache it spilled and re-read their pages. Given back when the submission ends.
    sqlite_ingest_cache_bytes: int = 128 << 20
    ruleset_dir: Path = PROJECT_ROOT / "rulesets" / "default"
    var_dir: Path = PROJECT_ROOT / "var"
    # Secret for the keyed blind index and AES-GCM encryption of ID numbers. When empty a key
    # file is created under var_dir on first use (fine for a demo, not for production).
    secret_key: str = ""
    max_upload_bytes: int = 50 * 1024 * 1024
    max_rows_per_submission: int = 200_000
    # An XLSX is a zip: refused before it is parsed when its parts unzip to more than this, or to
    # more than max_xlsx_ratio times the file once above 10 MB (a "zip bomb"), or when its
    # sheet declares more cells than max_xlsx_cells. Operational limits, not legal numbers.
    max_xlsx_unzipped_bytes: int = 1024 * 1024 * 1024
    max_xlsx_ratio: int = 100
    max_xlsx_cells: int = 10_000_000
    host: str = "127.0.0.1"
    port: int = 8000
    # Run the daily tick (publicity expiry) inside `serve` every this many seconds; 0 = off.
    tick_interval_seconds: int = 3600
    # Ledger checkpoints: `serve` seals the query log and signs a checkpoint every this many
    # minutes (0 = off), and right after a submission leaves this many entries uncovered.
    # Operational knobs, not legal numbers.
    checkpoint_interval_minutes: float = 5
    checkpoint_after_entries: int = 10_000
    # Run the evaluation consumer inside `serve` every this many seconds (new grades visible
    # within about a second of a record); 0 = off.
    evaluation_poll_seconds: float = 0.5
    # Batch evaluation and draft previews through the API: at most one per this many seconds
    # (each stores a result row per subject; 0 = no limit). Only the newest
    # evaluation_keep_detailed_runs runs of a model keep their per-subject intermediates
    # (dimensions, points, features, citations, reasons); older runs keep the grade and score.
    # Operational knobs, not legal numbers.
    evaluation_run_min_interval_seconds: float = 60.0
    evaluation_keep_detailed_runs: int = 10
    # Push (measures domain, 触发式): the delivery worker inside `serve` runs every this many
    # seconds (0 = off); HTTP timeout per delivery; a failed delivery is retried after
    # base × 2^(attempts−1) seconds (at most retry_max) and goes to the dead-letter queue after
    # push_max_attempts tries. Operational knobs, not legal numbers.
    push_poll_seconds: float = 2.0
    push_timeout_seconds: float = 10.0
    push_max_attempts: int = 8
    push_retry_base_seconds: float = 30.0
    push_retry_max_seconds: float = 3600.0
    # Crash recovery of half-applied submissions inside `serve` (xinyong/ingest/recovery.py):
    # at start, then every this many seconds (0 = off). Operational knob.
    ingest_recovery_seconds: float = 60.0

    # --- The city's own site (xinyong/core/site.py; docs/site.md) ----------------------------
    # Each, when set (XINYONG_SITE_NAME=信用台州 …), wins over var_dir/site.yaml and the default.
    site_city: str = ""
    site_name: str = ""
    site_brand: str = ""
    site_tagline: str = ""
    site_logo: str = ""  # an image file (SVG/PNG/JPEG) on this server, served at /site/logo
    site_host_org: str = ""  # 主办单位
    site_icp: str = ""  # ICP 备案号
    site_contact: str = ""
    # The platform's address as the public reaches it (https://credit.taizhou.gov.cn): reports
    # print it for their QR code and verification page. Empty: http://{host}:{port} (a demo).
    public_url: str = ""

    # --- Access control and hardening (xinyong/accounts; docs/security.md) -------------------
    # Portal sessions: idle timeout and absolute lifetime, in minutes.
    session_idle_minutes: int = 30
    session_absolute_minutes: int = 12 * 60
    # The session cookie's Secure flag: "auto" (when the request came over https), "always", "never".
    cookie_secure: str = "auto"
    # Lockout after this many consecutive failed logins, for this many minutes.
    login_max_failures: int = 5
    login_lockout_minutes: int = 30
    # argon2id cost (RFC 9106 second recommended option: t=3, 64 MiB, p=4).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 4
    # API keys expire after this many days unless an expiry is given (0 = never).
    api_key_default_days: int = 365
    # A resolved API key is reused for this many seconds (0 = resolve every request). Changes made
    # in the same process (revoke, rotate, lock) apply at once; other processes see them within
    # this time. Operational knob (docs/security.md).
    api_key_cache_seconds: float = 2.0
    # An API key's last use is stamped at most once per this many seconds, by a background job
    # of `serve`, never by the request itself (0 = the job is off; accounts/key_use.py).
    api_key_last_use_seconds: float = 60.0
    # Rate limit of anonymous calls to public endpoints, per client IP (token bucket).
    # rate_limit_per_minute is the refill rate, rate_limit_burst the bucket size; 0 = off.
    rate_limit_per_minute: int = 300
    rate_limit_burst: int = 100
    # Take the client IP from the first X-Forwarded-For entry (only behind a trusted proxy).
    trust_forwarded_for: bool = False
    # Largest request body for everything except uploads (max_upload_bytes).
    max_request_bytes: int = 1024 * 1024
    # How self-registered subject accounts are bound to their subject: "registry" (match the
    # subject record) or "package.module:ClassName" (a SubjectBinder, e.g. e-business licence).
    subject_binder: str = "registry"
    # Query log (xinyong/querylog): keep entries this many years when longer than the ruleset's
    # retention (rulesets/<name>/querylog.yaml, 5 years by default); 0 = the ruleset's value.
    query_log_retention_years: int = 0
    # Encryption of personal identifiers (xinyong/core/crypto.py; docs/security.md "Key rotation").
    # The key version new ciphertexts use; v1 is derived from secret_key, later versions come from
    # pii_keys, e.g. XINYONG_PII_KEYS='{"2": "<64 hex characters>"}'.
    pii_key_version: int = 1
    pii_keys: dict[int, str] = Field(default_factory=dict)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
