"""atomic_write: the old file or the new one, whole, with the permissions asked for."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from branchq.drivers.platform.files import atomic_write


def test_the_new_content_replaces_the_old_and_no_temporary_file_remains(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    path.write_bytes(b'{"old": true}')
    atomic_write(path, b'{"new": true}')
    assert path.read_bytes() == b'{"new": true}'
    assert os.listdir(tmp_path) == ["journal.json"]


def test_a_new_file_gets_exactly_the_mode_asked_for_whatever_the_umask(tmp_path: Path) -> None:
    old_umask = os.umask(0o077)
    try:
        atomic_write(tmp_path / "kiosk.toml", b"[kiosk]\n", mode=0o644)
        atomic_write(tmp_path / "secret", b"token", mode=0o600)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "kiosk.toml").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret").stat().st_mode) == 0o600


def test_without_a_mode_the_file_follows_the_umask(tmp_path: Path) -> None:
    old_umask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "state.json", b"{}")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE((tmp_path / "state.json").stat().st_mode) == 0o640


def test_a_failed_replace_leaves_the_old_file_and_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "inside").write_bytes(b"kept")
    with pytest.raises(OSError):
        atomic_write(target, b"new")
    assert (target / "inside").read_bytes() == b"kept"
    assert sorted(os.listdir(tmp_path)) == ["occupied"]


def test_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        atomic_write(tmp_path / "absent" / "journal.json", b"{}")


def test_the_data_and_then_the_folder_reach_the_disk_around_the_rename(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A power cut after the call must find the new file: its bytes are fsynced before the
    rename, and the folder (holding the new name) after it."""
    steps: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        target = Path(os.readlink(f"/proc/self/fd/{fd}"))
        steps.append("fsync folder" if target == tmp_path else f"fsync {target.name[-4:]}")
        real_fsync(fd)

    def replace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        steps.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    atomic_write(tmp_path / "journal.json", b"x" * 100_000)
    assert steps == ["fsync .tmp", "replace", "fsync folder"]
    assert (tmp_path / "journal.json").read_bytes() == b"x" * 100_000
