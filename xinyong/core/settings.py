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
    ruleset_dir: Path = PROJECT_ROOT / "rulesets" / "default"
    var_dir: Path = PROJECT_ROOT / "var"
    # Secret for the keyed blind index and AES-GCM encryption of ID numbers. When empty a key
    # file is created under var_dir on first use (fine for a demo, not for production).
    secret_key: str = ""
    max_upload_bytes: int = 50 * 1024 * 1024
    max_rows_per_submission: int = 200_000
    host: str = "127.0.0.1"
    port: int = 8000
    # Run the daily tick (publicity expiry) inside `serve` every this many seconds; 0 = off.
    tick_interval_seconds: int = 3600


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
