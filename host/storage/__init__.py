"""Durable storage of the event log, ticket projection and API tokens."""

from branchq.host.storage.faults import (
    StorageError,
    StorageFull,
    StorageMissing,
    StorageReadOnly,
    StorageRefused,
)
from branchq.host.storage.store import Store, WriteTransaction, default_sqlite_url

__all__ = ["StorageError", "StorageFull", "StorageMissing", "StorageReadOnly", "StorageRefused",
           "Store", "WriteTransaction", "default_sqlite_url"]
