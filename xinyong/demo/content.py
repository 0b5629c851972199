"""The demo city's content sections: one article in each of 通知公告, 政策法规 and 信用动态,
published through the content service (so the ledger has them) — once: a store that already has
articles is left alone."""

from __future__ import annotations

from sqlalchemy.orm import Session

from xinyong.content import service as content_service

AUTHOR = "台州市信用办（演示）"
POSTS = (
    (
        "policies",
        "《台州市企业信用促进条例》",
        "2019年12月18日台州市第五届人民代表大会常务委员会第二十四次会议通过，"
        "2020年3月26日浙江省第十三届人民代表大会常务委员会第十九次会议批准。\n\n"
        "第一条 为了促进企业信用建设，创新企业监管机制，营造良好营商环境，保障经济高质量发展，"
        "根据《浙江省公共信用信息管理条例》和有关法律、法规，结合本市实际，制定本条例。\n",
    ),
    (
        "notices",
        "关于开展信用修复集中办理的通知（演示）",
        "各有关企业：\n\n行政处罚信息公示期届满前，符合条件的企业可申请信用修复。"
        "请通过“信用台州”网站自助服务栏目提交申请，并上传**整改材料**。\n\n"
        "本通知为演示数据。\n",
    ),
    (
        "news",
        "我市双公示信息报送及时率持续提升（演示）",
        "今年以来，全市各信息提供单位按时报送行政许可、行政处罚信息，"
        "报送及时率与数据准确率逐月提升。\n\n本文为演示数据。\n",
    ),
)


def seed_content(session: Session) -> int:
    """Publish the demo articles when the store has none; returns how many were published."""
    if content_service.list_posts(session, published_only=False, per_page=1).total:
        return 0
    for section, title, body in POSTS:
        post = content_service.create_post(session, section=section, title=title, body_md=body, author=AUTHOR)
        content_service.publish_post(session, post.id, by=AUTHOR)
    return len(POSTS)
