"""Durable storage of the event log, ticket projection and API tokens."""

from host.storage.store import (
    StorageError,
    StorageRefused,
    Store,
    WriteTransaction,
    default_sqlite_url,
)

__all__ = ["StorageError", "StorageRefused", "Store", "WriteTransaction", "default_sqlite_url"]
