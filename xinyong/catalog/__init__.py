"""Catalog (信用信息目录): items, field schemas, disclosure, publicity and severity rule tables."""
