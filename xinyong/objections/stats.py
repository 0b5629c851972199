"""What other domains learn from objections without reading its table: how many objections held
(异议成立: the record was found wrong) against a department's records, per catalog item.

Data quality scores a department's accuracy with it (《浙江省公共信用信息管理条例》 第二十七条:
信息提供单位 answers for the accuracy of what it provides). An objection held is counted on the
day it was decided: the comparison that found the platform's copy differs, or the provider's
reply that the objection holds."""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from xinyong.objections.models import Objection
from xinyong.records import service as records_service


def held_by_item(session: Session, provider_code: str, since: date, until: date) -> dict[str, int]:
    """Objections held against ``provider_code``'s records decided in [since, until), per item."""
    held = or_(
        and_(
            Objection.compare_result == "differs",
            Objection.compared_on >= since,
            Objection.compared_on < until,
        ),
        and_(Objection.reply_result == "holds", Objection.replied_on >= since, Objection.replied_on < until),
    )
    record_ids = list(
        session.scalars(select(Objection.record_id).where(Objection.provider_code == provider_code, held))
    )
    items = records_service.item_codes_of(session, record_ids)
    return dict(Counter(items[r] for r in record_ids if r in items))
