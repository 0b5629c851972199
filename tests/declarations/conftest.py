"""A small city for the declarations tests (shared with the other casework package)."""

from tests.casework_fixtures import keys  # noqa: F401
