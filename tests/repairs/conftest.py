"""Fixtures of the repairs tests: cheap argon2 parameters for the accounts the API tests create,
and the lists tests' small city most tests start from."""

from tests.fixtures import _cheap_hashing, city  # noqa: F401
