"""Publicity windows: the rule in force on the DECISION date decides, counted as that rule says."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.catalog.conftest import Editor
from xinyong.catalog.ruleset import add_months
from xinyong.catalog.service import Catalog, get_catalog

PUBLISHED = date(2026, 4, 8)


def _window(catalog: Catalog, severity: Any, decided: date, published: date = PUBLISHED, **data: Any) -> Any:
    item = catalog.item("administrative_penalty")
    return catalog.publicity_window(item, severity, decided, published, data=data or None)


def test_the_day_before_order_36_uses_order_58(catalog: Catalog) -> None:
    minor = _window(catalog, "minor", date(2026, 3, 31))
    assert minor.rule_id == "order58-2023/minor"
    assert minor.published is False  # Order 58: 轻微失信信息不予公示
    assert minor.start == minor.end == PUBLISHED

    general = _window(catalog, "general", date(2026, 3, 31))
    assert general.rule_id == "order58-2023/general"
    assert (general.start, general.min_end, general.end) == (PUBLISHED, date(2026, 7, 8), date(2027, 4, 8))


def test_from_2026_04_01_order_36_applies(catalog: Catalog) -> None:
    minor = _window(catalog, "minor", date(2026, 4, 1))
    assert minor.rule_id == "order36-2026/minor"
    assert minor.published is True
    # At most 3 months, repairable as soon as the obligation is met (no minimum).
    assert (minor.start, minor.min_end, minor.end) == (PUBLISHED, PUBLISHED, date(2026, 7, 8))

    serious = _window(catalog, "serious", date(2026, 4, 1))
    assert serious.rule_id == "order36-2026/serious"
    assert (serious.min_end, serious.end) == (date(2027, 4, 8), date(2029, 4, 8))


def test_publication_date_does_not_change_the_rule(catalog: Catalog) -> None:
    # Decided under Order 58, published after Order 36 came into force: still Order 58.
    assert _window(catalog, "serious", date(2026, 3, 20), date(2026, 5, 6)).rule_id == "order58-2023/serious"


def test_2019_rule_counts_from_the_decision(catalog: Catalog) -> None:
    decided = date(2021, 3, 1)
    w = _window(catalog, "serious", decided, date(2021, 3, 5))
    assert w.rule_id == "ndrc527-2019/serious"
    # 发改办财金〔2019〕527号: 6 months to 3 years from the decision date.
    assert (w.start, w.min_end, w.end) == (date(2021, 3, 5), date(2021, 9, 1), date(2024, 3, 1))
    assert _window(catalog, "general", decided).rule_id == "ndrc527-2019/general"


def test_decisions_older_than_every_rule_take_the_earliest(catalog: Catalog) -> None:
    w = _window(catalog, "general", date(2016, 5, 4), date(2016, 5, 6))
    assert w.rule_id == "ndrc-2017/general"
    assert w.min_end is None and w.end == date(2017, 5, 4)


def test_missing_severity_takes_the_items_default(catalog: Catalog) -> None:
    assert _window(catalog, None, date(2026, 5, 1)).rule_id == "order36-2026/general"


def test_licence_is_shown_while_valid(catalog: Catalog) -> None:
    licence = catalog.item("administrative_licence")
    w = catalog.publicity_window(
        licence, None, date(2025, 6, 10), date(2025, 6, 12), data={"valid_until": "2030-06-09"}
    )
    assert w is not None
    assert (w.rule_id, w.start, w.min_end, w.end) == (
        "licence/while_valid",
        date(2025, 6, 12),
        None,
        date(2030, 6, 9),
    )
    open_ended = catalog.publicity_window(licence, None, date(2025, 6, 10), date(2025, 6, 12))
    assert open_ended is not None and open_ended.end is None


def test_none_rule_means_not_published(ruleset_copy: Any, edit: Editor) -> None:
    edit("catalog/honour.yaml", lambda d: d.update(publicity="none"))
    catalog = get_catalog()
    assert catalog.publicity_window(catalog.item("honour"), None, date(2025, 1, 1), date(2025, 1, 2)) is None


def test_sector_rule_applies_only_when_enabled(ruleset_copy: Any, edit: Editor) -> None:
    before = _window(get_catalog(), "minor", date(2025, 6, 10), sector="市场监管")
    assert before.rule_id == "order58-2023/minor"

    def enable(d: dict[str, Any]) -> None:
        d["rules"]["negative_by_severity"]["sector_rules"][0]["enabled"] = True

    edit("publicity.yaml", enable)
    from xinyong.catalog.service import reset_catalog_cache

    reset_catalog_cache()
    catalog = get_catalog()
    w = _window(catalog, "minor", date(2025, 6, 10), sector="市场监管")
    assert w.rule_id == "samr45-2021/minor"
    assert w.published and w.end == date(2026, 7, 8)  # 届满三个月 from publication
    assert _window(catalog, "minor", date(2025, 6, 10), sector="税务").rule_id == "order58-2023/minor"
    assert _window(catalog, "minor", date(2025, 6, 10)).rule_id == "order58-2023/minor"


def test_a_city_can_change_a_period_without_code(ruleset_copy: Any, edit: Editor) -> None:
    def shorten(d: dict[str, Any]) -> None:
        d["rules"]["negative_by_severity"]["versions"][0]["classes"]["serious"]["max_months"] = 24

    edit("publicity.yaml", shorten)
    assert _window(get_catalog(), "serious", date(2026, 5, 1)).end == date(2028, 4, 8)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 11, 15), 3, date(2027, 2, 15)),
        (date(2026, 4, 8), 0, date(2026, 4, 8)),
    ],
)
def test_month_arithmetic(start: date, months: int, expected: date) -> None:
    assert add_months(start, months) == expected
