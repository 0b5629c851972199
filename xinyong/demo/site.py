"""The demo city's own site: 信用台州, its 主办单位, a logo, an (illustrative) ICP number."""

from __future__ import annotations

from pathlib import Path

from xinyong.core.settings import get_settings
from xinyong.core.site import write_site
from xinyong.demo.generator import load_city

LOGO_FILE = "site-logo.svg"
# Drawn here, not fetched: the site works offline.
_LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" role="img" aria-label="信用台州">
<rect width="64" height="64" rx="10" fill="#b91c1c"/>
<text x="32" y="29" font-size="20" text-anchor="middle" fill="#fff" font-weight="700">信用</text>
<text x="32" y="52" font-size="20" text-anchor="middle" fill="#fff" font-weight="700">台州</text>
</svg>
"""

TAIZHOU = {
    "city": "台州市",
    "name": "信用台州",
    "brand": "信用",
    "tagline": "台州市公共信用信息平台 · 信用查询 · 双公示",
    "logo": LOGO_FILE,
    "host_org": "台州市发展和改革委员会（台州市社会信用体系建设领导小组办公室）",
    "icp": "浙ICP备00000000号（演示）",
    "contact": "0576-00000000（演示）",
}


def seed_site() -> Path:
    """Write the demo city's ``site.yaml`` and logo (an existing site.yaml is the city's: kept)."""
    var_dir = get_settings().var_dir
    var_dir.mkdir(parents=True, exist_ok=True)
    logo = var_dir / LOGO_FILE
    if not logo.exists():
        logo.write_text(_LOGO_SVG, encoding="utf-8")
    city = load_city()
    divisions = {d.code: d.name for d in city.divisions}
    divisions |= {str(d["code"]): str(d["name"]) for d in city.historic_divisions}
    return write_site({**TAIZHOU, "divisions": divisions})
