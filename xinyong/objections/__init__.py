"""Objections (异议) to credit records; the procedure is described in ``service``."""
