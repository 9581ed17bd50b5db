"""Alembic migrations of the branchq schema.

``HEAD`` names the newest revision, so that a host starting on an up-to-date database (every
start but the first after an upgrade) can tell without importing Alembic, which parses every
migration script to find its head; tests/host/test_storage.py checks it against Alembic's.
"""

HEAD = "0005"
