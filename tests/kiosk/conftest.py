"""A real host on SQLite and a real simulated kiosk talking to it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.kiosk.kioskproc import KioskProcess


@dataclass
class Branch:
    host: HostProcess
    kiosk: KioskProcess
    tmp: Path

    def restart_kiosk(self, card_key_file: Path | None = None) -> KioskProcess:
        self.kiosk.kill()
        self.kiosk = KioskProcess(self.kiosk.host_url, self.kiosk.token_file, self.kiosk.state_dir,
                                  self.tmp / "kiosk2.log", self.kiosk.keypad_token_file,
                                  card_key_file=card_key_file, env=self.kiosk.env).start()
        return self.kiosk

    def restart_kiosk_with_card_key(self, key: bytes) -> KioskProcess:
        path = self.tmp / "card.key"
        path.write_bytes(key)
        return self.restart_kiosk(path)


@pytest.fixture
def kiosk_env() -> dict[str, str]:
    """The kiosk process's extra environment; a test module overrides it (its own kiosk.toml
    through BRANCHQ_KIOSK_CONFIG, say)."""
    return {}


@pytest.fixture
def branch(tmp_path: Path, kiosk_env: dict[str, str]) -> Iterator[Branch]:
    host = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log").start()
    token_file = tmp_path / "kiosk.token"
    token_file.write_text(host.token(Role.KIOSK, name="entrance kiosk"))
    keypad_file = tmp_path / "keypad.token"
    keypad_file.write_text(host.token(Role.KEYPAD_GATEWAY, name="entrance keypads",
                                      counters=(1, 2, 3)))
    kiosk = KioskProcess(host.base, token_file, tmp_path / "state", tmp_path / "kiosk.log",
                         keypad_file, env=kiosk_env).start()
    b = Branch(host, kiosk, tmp_path)
    yield b
    b.kiosk.kill()
    b.host.kill()
