"""The console city of the portal tests (staff accounts, departments) for the content editor."""

from tests.portal.conftest import _cheap_hashing, console_city  # noqa: F401
