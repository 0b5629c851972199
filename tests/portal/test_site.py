"""The city's own site: name, logo and footer come from site.yaml and XINYONG_SITE_*, not code."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.portal.seed import City
from xinyong.core.errors import InvalidInput
from xinyong.core.settings import get_settings, reset_settings
from xinyong.core.site import SITE_FILE, get_site, load_site, write_site
from xinyong.demo.site import seed_site


def test_a_fresh_install_is_a_neutral_platform(client: TestClient) -> None:
    html = client.get("/").text
    assert "<title>" in html and "- 公共信用信息平台</title>" in html
    assert "主办单位" not in html and "ICP" not in html
    assert client.get("/site/logo").status_code == 404


def test_the_demo_city_is_xinyong_taizhou(client: TestClient) -> None:
    seed_site()
    html = client.get("/").text
    assert "信用台州" in html
    assert "主办单位：台州市发展和改革委员会" in html
    assert "ICP 备案号：浙ICP备00000000号（演示）" in html
    assert "联系方式：0576-00000000（演示）" in html
    assert 'src="/site/logo"' in html
    logo = client.get("/site/logo")
    assert logo.status_code == 200
    assert logo.headers["content-type"].startswith("image/svg+xml")
    assert "台州" in logo.text
    # every frame shares it: the catalog page and the login page too
    assert "信用台州" in client.get("/catalog").text


def test_settings_win_over_the_file(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    seed_site()
    monkeypatch.setenv("XINYONG_SITE_NAME", "信用椒江")
    monkeypatch.setenv("XINYONG_SITE_ICP", "浙ICP备12345678号")
    reset_settings()
    html = client.get("/").text
    assert "- 信用椒江</title>" in html
    assert "浙ICP备12345678号" in html
    assert "主办单位：台州市发展和改革委员会" in html  # the rest still from site.yaml


def test_an_edited_file_shows_without_restart(client: TestClient) -> None:
    write_site({"name": "信用路桥"})
    assert "信用路桥" in client.get("/").text
    path = get_settings().var_dir / SITE_FILE
    path.write_text("name: 信用黄岩\nhost_org: 黄岩区发展和改革局\n", encoding="utf-8")
    assert get_site().name == "信用黄岩"
    assert "主办单位：黄岩区发展和改革局" in client.get("/").text


def test_an_existing_site_file_is_kept_by_the_demo() -> None:
    write_site({"name": "信用温岭"})
    seed_site()
    assert get_site().name == "信用温岭"


def test_unknown_keys_are_refused_in_words() -> None:
    path = get_settings().var_dir / SITE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("name: x\nfooter_colour: red\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_site(path)
    assert "footer_colour" in err.value.message_zh


def test_district_names_instead_of_division_codes(client: TestClient, city: City) -> None:
    before = client.get(f"/subjects/{city.company_uscc}").text
    assert "331002" in before  # no names known yet: the code, as before
    seed_site()
    page = client.get(f"/subjects/{city.company_uscc}").text
    assert "椒江区" in page and '<small class="code">331002</small>' in page
    assert get_site().division_name("331083") == "玉环市"
    assert get_site().division_name("331021") == "玉环县"  # a code from before the 2017 reform


def test_scores_and_points_as_people_read_them() -> None:
    from decimal import Decimal

    from xinyong.portal.templating import fmt_points, fmt_score

    assert fmt_score(Decimal("91.2500")) == "91.25"
    assert fmt_score(Decimal("90.0000")) == "90"
    assert fmt_score(Decimal("-0.0000")) == "0"
    assert fmt_points(Decimal("-0.00"), "gain") == "0 分（无加分）"
    assert fmt_points(Decimal("0"), "cost") == "0 分（不扣分）"
    assert fmt_points(Decimal("5.00"), "gain") == "+5 分"
    assert fmt_points(Decimal("-3.50"), "cost") == "-3.5 分"
