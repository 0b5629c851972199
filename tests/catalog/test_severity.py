"""Severity derivation: provider first, then 处罚类别 and amounts, the most severe wins."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.catalog.conftest import ACTION_KINDS_ZH, Editor
from xinyong.catalog.ruleset import add_months
from xinyong.catalog.service import Catalog, get_catalog


def _derive(catalog: Catalog, item: str = "administrative_penalty", **data: Any) -> tuple[Any, str]:
    d = catalog.derive_severity(catalog.item(item), data)
    return d.severity, d.rule_id


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"penalty_types": "警告"}, ("minor", "severity/penalty_types/警告")),
        ({"penalty_types": "通报批评"}, ("minor", "severity/penalty_types/通报批评")),
        ({"penalty_types": "吊销许可证件"}, ("serious", "severity/penalty_types/吊销许可证件")),
        ({"penalty_types": "责令停产停业"}, ("serious", "severity/penalty_types/责令停产停业")),
        ({"penalty_types": "责令关闭"}, ("serious", "severity/penalty_types/责令关闭")),
        ({"penalty_types": "限制从业"}, ("serious", "severity/penalty_types/限制从业")),
        ({"penalty_types": "没收违法所得"}, ("general", "severity/penalty_types/没收违法所得")),
        ({"penalty_types": "罚款"}, ("general", "severity/penalty_types/罚款")),  # amount unknown
    ],
)
def test_by_penalty_type(catalog: Catalog, data: dict[str, Any], expected: tuple[str, str]) -> None:
    assert _derive(catalog, **data) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0.02", "minor"),
        ("0.3", "minor"),
        ("0.31", "general"),
        ("5", "general"),
        ("99.99", "general"),
        ("100", "serious"),
        ("1,500", "serious"),
    ],
)
def test_fines_by_threshold(catalog: Catalog, amount: str, expected: str) -> None:
    severity, rule = _derive(catalog, penalty_types="罚款", fine_amount=amount)
    assert severity == expected
    assert rule == "severity/fine_thresholds/default/fine_amount"


def test_natural_persons_have_their_own_minor_threshold(catalog: Catalog) -> None:
    # 行政处罚法 第五十一条: simple procedure up to 200 yuan for citizens, 3000 for organisations.
    assert (
        _derive(catalog, penalty_types="罚款", fine_amount="0.1", subject_category="自然人")[0] == "general"
    )
    assert (
        _derive(catalog, penalty_types="罚款", fine_amount="0.1", subject_category="法人及非法人组织")[0]
        == "minor"
    )
    assert _derive(catalog, penalty_types="罚款", fine_amount="0.02", subject_category="自然人") == (
        "minor",
        "severity/fine_thresholds/default-natural-person/fine_amount",
    )


def test_the_most_severe_category_wins(catalog: Catalog) -> None:
    assert _derive(catalog, penalty_types="警告;罚款;吊销许可证件", fine_amount="1") == (
        "serious",
        "severity/penalty_types/吊销许可证件",
    )
    assert _derive(catalog, penalty_types=["警告", "罚款"], fine_amount="2")[0] == "general"
    assert _derive(catalog, penalty_types="警告；通报批评") == ("minor", "severity/penalty_types/警告")
    # A huge fine outranks a warning listed first.
    assert _derive(catalog, penalty_types="警告、罚款", fine_amount="300")[0] == "serious"


def test_confiscation_has_a_floor_of_general(catalog: Catalog) -> None:
    assert _derive(catalog, penalty_types="没收违法所得", confiscation_amount="0.01")[0] == "general"
    assert _derive(catalog, penalty_types="没收非法财物", confiscation_amount="150") == (
        "serious",
        "severity/fine_thresholds/default/confiscation_amount",
    )


def test_a_fine_amount_counts_without_the_category(catalog: Catalog) -> None:
    # Older exports put the amount in CF_NR_FK and only a free-text 处罚类别.
    assert _derive(catalog, fine_amount="120")[0] == "serious"


def test_provider_value_wins(catalog: Catalog) -> None:
    assert _derive(catalog, severity="轻微", penalty_types="责令关闭") == ("minor", "provider")
    assert _derive(catalog, severity="serious", penalty_types="警告") == ("serious", "provider")
    # An unreadable provider value does not hide what the categories say.
    assert _derive(catalog, severity="很严重", penalty_types="吊销许可证件")[0] == "serious"


def test_nothing_to_go_on_gives_the_item_default(catalog: Catalog) -> None:
    assert _derive(catalog) == ("general", "severity/items/administrative_penalty/default")


def test_dishonest_judgment_debtors_are_serious(catalog: Catalog) -> None:
    assert _derive(catalog, "dishonest_judgment_debtor", obligation="支付30万元") == (
        "serious",
        "severity/items/dishonest_judgment_debtor",
    )


@pytest.mark.parametrize("item", ["administrative_licence", "honour", "credit_commitment", "sector_rating"])
def test_positive_and_neutral_items_carry_no_severity(catalog: Catalog, item: str) -> None:
    assert _derive(catalog, item, penalty_types="吊销许可证件")[0] is None


def test_thresholds_per_sector(ruleset_copy: Any, edit: Editor) -> None:
    def add_sector(d: dict[str, Any]) -> None:
        d["fine_thresholds"].append(
            {
                "id": "market-regulation",
                "sector": "market_regulation",
                "subject_category": "*",
                "minor_at_most": 1,
                "serious_at_least": 50,
                "effective_from": date(2021, 9, 1),
                "source": "某省市场监督管理局较低数额罚款标准（测试）",
            }
        )

    edit("severity.yaml", add_sector)
    catalog = get_catalog()
    assert _derive(catalog, penalty_types="罚款", fine_amount="0.8", sector="市场监管") == (
        "minor",
        "severity/fine_thresholds/market-regulation/fine_amount",
    )
    assert (
        _derive(catalog, penalty_types="罚款", fine_amount="60", sector="market_regulation")[0] == "serious"
    )
    assert _derive(catalog, penalty_types="罚款", fine_amount="60", sector="税务")[0] == "general"
    # Before the sector entry took effect, the default applies.
    assert _derive(
        catalog, penalty_types="罚款", fine_amount="60", sector="市场监管", decision_date="2021-08-01"
    ) == (
        "general",
        "severity/fine_thresholds/default/fine_amount",
    )


def test_timeliness(catalog: Catalog) -> None:
    for code in ("administrative_licence", "administrative_penalty"):
        assert catalog.timeliness_limit_working_days(catalog.item(code), date(2025, 9, 28)) == 7
    assert catalog.timeliness_limit_working_days(catalog.item("honour"), date(2025, 9, 28)) is None
    kinds = {k.name_zh for k in catalog.timeliness_rules.action_kinds}
    assert kinds == set(ACTION_KINDS_ZH)


@pytest.mark.parametrize(
    ("decided", "data", "severity", "window"),
    [
        # 发改办财金〔2019〕527号: two classes only; 警告 is 一般 (3–12 months from the decision).
        ("2021-03-01", {"penalty_types": "警告"}, "general", ("ndrc527-2019/general", 3, 12)),
        (
            "2021-03-01",
            {"penalty_types": "罚款", "fine_amount": "0.1"},
            "general",
            ("ndrc527-2019/general", 3, 12),
        ),
        (
            "2021-03-01",
            {"penalty_types": "罚款", "fine_amount": "150"},
            "serious",
            ("ndrc527-2019/serious", 6, 36),
        ),
        ("2020-08-10", {"penalty_types": "吊销许可证件"}, "serious", ("ndrc527-2019/serious", 6, 36)),
        ("2021-07-14", {"penalty_types": "责令停产停业"}, "serious", ("ndrc527-2019/serious", 6, 36)),
        # From 2021-07-15 (《行政处罚法》2021) today's table classes it; 警告 becomes 轻微.
        ("2021-07-15", {"penalty_types": "警告"}, "minor", ("ndrc527-2019/minor", 3, 12)),
        # Older than every entry: the earliest entries apply (the 2017 notice: 1 / 3 years).
        ("2018-05-04", {"penalty_types": "吊销许可证件"}, "serious", ("ndrc-2017/serious", None, 36)),
    ],
)
def test_penalties_before_2021_07_15_are_classed_by_the_2019_rule(
    catalog: Catalog, decided: str, data: dict[str, Any], severity: str, window: tuple[str, Any, int]
) -> None:
    got, rule = _derive(catalog, decision_date=decided, **data)
    assert got == severity, rule
    day = date.fromisoformat(decided)
    w = catalog.publicity_window(catalog.item("administrative_penalty"), got, day, day)
    assert w is not None
    rule_id, min_months, max_months = window
    assert w.rule_id == rule_id
    assert w.min_end == (add_months(day, min_months) if min_months is not None else None)
    assert w.end == add_months(day, max_months)
