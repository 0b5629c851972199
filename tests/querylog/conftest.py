"""The query-log tests use the city of the access tests (roles, keys, a subject's file)."""

from tests.access.conftest import City, _cheap_hashing, app_client, city

__all__ = ["City", "_cheap_hashing", "app_client", "city"]
