"""Government integrity (政务诚信): the public face of the domain. Public bodies (USCC 11…/12…)
and their superiors (``bodies``), the integrity model and the ranking (``ranking``), the notices
of defaults (``notices``: the ``government`` outbox consumer)."""

from __future__ import annotations

from xinyong.government.bodies import BODY_TYPES, BodyInfo, body_type, get_body, list_bodies, register_body
from xinyong.government.notices import (
    CONSUMER,
    PUSH_EVENT,
    NoticeInfo,
    NoticePage,
    list_notices,
    notices_since,
    process_events,
)
from xinyong.government.ranking import BodyScore, IndicatorResult, score_bodies
from xinyong.government.rules import get_government_model, get_notice_rules, reset_government_cache

__all__ = [
    "BODY_TYPES",
    "CONSUMER",
    "PUSH_EVENT",
    "BodyInfo",
    "BodyScore",
    "IndicatorResult",
    "NoticeInfo",
    "NoticePage",
    "body_type",
    "get_body",
    "get_government_model",
    "get_notice_rules",
    "list_bodies",
    "list_notices",
    "notices_since",
    "process_events",
    "register_body",
    "reset_government_cache",
    "score_bodies",
]
