"""Fixtures of the catalog tests: the shipped ruleset, and an editable copy of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from xinyong.catalog.service import Catalog, get_catalog, load_catalog, reset_catalog_cache
from xinyong.core.settings import PROJECT_ROOT, reset_settings

DEFAULT_RULESET = PROJECT_ROOT / "rulesets" / "default"
# The catalog items every ruleset must have (the default ruleset's seven).
ITEMS = (
    "administrative_licence",
    "administrative_penalty",
    "dishonest_judgment_debtor",
    "credit_commitment",
    "honour",
    "sector_rating",
    "self_declaration",
)
# The ten kinds of administrative action under 双公示 (the catalog's action kinds).
ACTION_KINDS_ZH = (
    "行政许可",
    "行政处罚",
    "行政强制",
    "行政确认",
    "行政征收",
    "行政给付",
    "行政裁决",
    "行政补偿",
    "行政奖励",
    "行政监督检查",
)


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return load_catalog(DEFAULT_RULESET)


@pytest.fixture
def ruleset_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the default ruleset, configured as the platform's ruleset directory."""
    target = tmp_path / "ruleset"
    shutil.copytree(DEFAULT_RULESET, target)
    monkeypatch.setenv("XINYONG_RULESET_DIR", str(target))
    reset_settings()
    reset_catalog_cache()
    yield target
    reset_catalog_cache()


Editor = Callable[[str, Callable[[Any], None]], None]


@pytest.fixture
def edit(ruleset_copy: Path) -> Editor:
    """Change one file of the copy: ``edit("severity.yaml", lambda data: ...)``."""

    def _edit(relative: str, change: Callable[[Any], None]) -> None:
        path = ruleset_copy / relative
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        change(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")

    return _edit


@pytest.fixture
def configured() -> Callable[[], Catalog]:
    return get_catalog
