"""Domain exceptions. Services raise these; ``xinyong.app`` maps them to HTTP in one place.

Every error carries a stable English ``code``, an English ``message``, a Chinese
``message_zh`` and structured ``details`` (field, value, rule ...).
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    code = "error"

    def __init__(self, message: str, message_zh: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.message_zh = message_zh
        if code is not None:
            self.code = code
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "message_zh": self.message_zh,
                "details": self.details,
            }
        }


class InvalidInput(DomainError):
    status_code = 422
    code = "invalid_input"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class TooLarge(DomainError):
    status_code = 413
    code = "too_large"


class Unavailable(DomainError):
    """A capability this installation lacks or cannot start now (e.g. the Spark engine)."""

    status_code = 503
    code = "unavailable"


class RateLimited(DomainError):
    """Too soon after the same costly action; ``details.retry_after`` says how many seconds."""

    status_code = 429
    code = "rate_limited"


class UnknownCalendarYear(DomainError):
    """The working-day calendar has no data for a year: never guess."""

    status_code = 422
    code = "calendar_year_unknown"


class RulesetInvalid(DomainError):
    """A ruleset file is malformed: the platform refuses to guess."""

    status_code = 500
    code = "ruleset_invalid"
