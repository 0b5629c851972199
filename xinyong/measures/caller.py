"""Who asks: the caller of a check, of feedback or of a subscription as plain values (the
router and the CLI build it from the principal), and which departments' rows a caller may see."""

from __future__ import annotations

from dataclasses import dataclass

from xinyong.accounts.principal import Principal

STAFF_ROLES = frozenset({"credit_office", "admin"})


@dataclass(frozen=True)
class Caller:
    """Who asks, as plain values (the router takes them from the principal). ``principal`` is
    the whole caller for the query log (who, organisation, role, IP); a caller built without one
    (the CLI) is logged as a command-line user of ``role``."""

    label: str
    role: str
    department_code: str | None = None
    principal: Principal | None = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def who(self) -> Principal:
        if self.principal is not None:
            return self.principal
        return Principal(
            role=self.role, kind="cli", username=self.label, department_code=self.department_code
        )


def _may_see(caller: Caller, department_code: str | None) -> bool:
    return caller.is_staff or (
        caller.department_code is not None and caller.department_code == department_code
    )
