"""Accounts: identities, roles, portal sessions, API keys and the access policy (issue 4 §1, §5)."""
