"""The callers the query-log tests (and the ledger's integrity tests) read as."""

from __future__ import annotations

from xinyong.accounts.principal import Principal

REGULATOR = Principal(
    role="regulator",
    kind="user",
    user_id=7,
    username="li_jian",
    department_id=3,
    department_name="台州市发展和改革委员会",
    client_ip="10.1.2.3",
)
