"""`branchq maint display ...` in a subprocess against virtual LED signs on a pty."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from branchq.drivers.ledsign import VirtualSign
from tests.maint.maint_helpers import kiosk_toml, maint, maint_json


@pytest.fixture(name="sign")
def sign_fixture(tmp_path: Path) -> Iterator[VirtualSign]:
    with VirtualSign(("01", "11"), link=tmp_path / "ledsign") as sign:
        yield sign


@pytest.fixture(name="config")
def config_fixture(tmp_path: Path, sign: VirtualSign) -> str:
    return str(kiosk_toml(tmp_path, ledsign=sign.port))


def test_test_pattern_on_every_sign(config: str, sign: VirtualSign) -> None:
    result = maint("display", "test", "--kiosk-config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sign.lines("01") == ["01 8888888888888888"] * 2
    assert sign.lines("11") == ["11 8888888888888888"]
    assert "LED sign 11 (counter 1): test pattern sent, acknowledged" in result.stdout


def test_show_then_clear_one_sign(config: str, sign: VirtualSign) -> None:
    code, _ = maint_json("display", "show", "COUNTER 1 CLOSED", "--address", "11",
                         "--kiosk-config", config)
    assert code == 0 and sign.lines("11") == ["COUNTER 1 CLOSED"]
    assert sign.state("01") is None, "only the addressed sign got it"
    code, _ = maint_json("display", "clear", "--kiosk-config", config)
    assert code == 0 and sign.lines("11") == [""]


def test_sign_not_answering_is_a_fault(config: str, sign: VirtualSign) -> None:
    sign.silent = True
    result = maint("display", "test", "--address", "11", "--kiosk-config", config)
    assert result.returncode == 1
    assert ("LED sign 11 (counter 1): not answering — check the sign's power and the cable to "
            "it, and that its address is 11") in result.stdout


def test_text_the_sign_cannot_show_is_a_usage_error(config: str) -> None:
    result = maint("display", "show", "请到3号窗口", "--kiosk-config", config)
    assert result.returncode == 2
    assert "has only an ASCII font" in result.stderr
