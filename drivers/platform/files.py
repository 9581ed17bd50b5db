"""Files that must survive a power cut whole: the kiosk journal, configs rewritten by a tool.

A Pi loses power when the branch closes or a cleaner pulls the plug. ``atomic_write`` leaves either
the old file or the new one at ``path``, never a torn mix or an empty file: the data goes to a
temporary file in the same folder (a rename is atomic only within one file system), is flushed to
the disk, renamed over ``path``, and the folder is flushed too so the new name is on disk as well.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def atomic_write(path: Path, data: bytes, mode: int | None = None) -> None:
    """Replace ``path`` with ``data``, durably and atomically.

    ``mode`` sets the new file's permission bits exactly (``0o600`` for a secret; the old file's
    mode to keep it); by default they follow the umask, as for any new file. On an error the old
    file is left as it was and no temporary file remains.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600 if mode is not None else 0o666)
    try:
        try:
            if mode is not None:
                os.fchmod(fd, mode)  # exact bits, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)
