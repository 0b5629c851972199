"""The city's own site: its name (信用台州), city, logo and footer (主办单位, ICP 备案号, contact).

Three layers, the later winning: the defaults below (a neutral 「公共信用信息平台」), the file
``var_dir/site.yaml`` (what an installation — or the demo — writes once), and the settings
``XINYONG_SITE_*`` (an operator's override). Pages read :func:`get_site` when they render.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings

SITE_FILE = "site.yaml"
_FIELDS = ("city", "name", "brand", "tagline", "logo", "host_org", "icp", "contact")
_KEYS = (*_FIELDS, "divisions")


class SiteInfo(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    city: str = ""
    name: str = "公共信用信息平台"
    brand: str = "信用"  # the short mark beside the name when there is no logo
    tagline: str = "信用信息一站查询 · 双公示 · 信用信息目录"
    logo: str = ""  # path of an image file; relative paths are below var_dir
    host_org: str = ""
    icp: str = ""
    contact: str = ""
    # 行政区划代码 → name (GB/T 2260) of the city's districts: pages say 玉环市, not 331083.
    divisions: dict[str, str] = {}

    def division_name(self, code: str | None) -> str | None:
        return self.divisions.get(code) if code else None

    def logo_path(self) -> Path | None:
        if not self.logo:
            return None
        path = Path(self.logo)
        path = path if path.is_absolute() else get_settings().var_dir / path
        return path if path.is_file() else None


def load_site(path: Path) -> dict[str, Any]:
    """The values of a ``site.yaml`` (empty when there is none); unknown keys are refused."""
    if not path.is_file():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = sorted(set(data) - set(_KEYS)) if isinstance(data, dict) else ["(not a mapping)"]
    if unknown:
        raise InvalidInput(
            f"{path}: unknown site keys {unknown}",
            f"站点配置 {path.name} 含有未知字段：{'、'.join(unknown)}",
            code="site.unknown_key",
            field=unknown[0],
            valid=list(_KEYS),
        )
    values: dict[str, Any] = {k: str(v) for k, v in data.items() if v is not None and k != "divisions"}
    if isinstance(data.get("divisions"), dict):
        values["divisions"] = {str(code): str(name) for code, name in data["divisions"].items()}
    return values


def get_site() -> SiteInfo:
    """The site as configured now: keyed by the file's modification time and the settings, so an
    edited ``site.yaml`` or changed environment shows on the next page without a restart."""
    settings = get_settings()
    path = settings.var_dir / SITE_FILE
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    overrides = tuple(getattr(settings, f"site_{name}") for name in _FIELDS)
    return _site(str(path), stamp, overrides)


@lru_cache(maxsize=8)
def _site(path: str, stamp: int, overrides: tuple[str, ...]) -> SiteInfo:
    values = load_site(Path(path))
    for name, override in zip(_FIELDS, overrides, strict=True):
        if override:
            values[name] = override
    return SiteInfo(**values)


def reset_site_cache() -> None:
    _site.cache_clear()


def write_site(values: dict[str, Any], *, overwrite: bool = False) -> Path:
    """Write ``var_dir/site.yaml`` (kept when it exists, unless ``overwrite``)."""
    path = get_settings().var_dir / SITE_FILE
    if path.exists() and not overwrite:
        return path
    SiteInfo(**values)  # refuse unknown keys before writing
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(values, allow_unicode=True, sort_keys=False), encoding="utf-8")
    reset_site_cache()
    return path
