"""`branchq maint printer ...` in a subprocess against a virtual printer on a pty."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from branchq.drivers.printer.virtual_port import VirtualPrinterPort
from branchq.drivers.printer.virtual_printer import VirtualPrinter
from branchq.host.config import example_config_text
from tests.maint.maint_helpers import kiosk_toml, maint, maint_json


@pytest.fixture(name="port")
def port_fixture(tmp_path: Path) -> Iterator[VirtualPrinterPort]:
    with VirtualPrinterPort(VirtualPrinter(), tmp_path / "printer") as port:
        yield port


@pytest.fixture(name="config")
def config_fixture(tmp_path: Path, port: VirtualPrinterPort) -> str:
    return str(kiosk_toml(tmp_path, printer=port.path))


def test_status_ready(config: str) -> None:
    result = maint("printer", "status", "--kiosk-config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Printer: ready" in result.stdout


def test_out_of_paper_is_a_fault_in_plain_words(config: str, port: VirtualPrinterPort) -> None:
    port.printer.paper_out = True
    result = maint("printer", "status", "--kiosk-config", config)
    assert result.returncode == 1
    assert ("Printer: out of paper — load a new roll (80 mm), close the cover, then run "
            "`branchq maint printer status`") in result.stdout


def test_test_ticket_has_chinese_qr_and_profile_and_warns_of_low_paper(
        config: str, port: VirtualPrinterPort) -> None:
    port.printer.paper_near_end = True
    result = maint("printer", "test", "--kiosk-config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test ticket printed" in result.stdout
    assert "Printer: paper running low — have a new 80 mm roll ready" in result.stdout
    printed = port.printer
    assert printed.qr_codes == [b"https://branchq.invalid/printer-test"]
    assert printed.images, "the Chinese lines are printed as a raster image"
    assert "profile default, 80 mm, raster" in printed.text_lines
    assert printed.cuts == 1


def test_feed_and_cut_reach_the_printer(tmp_path: Path, port: VirtualPrinterPort) -> None:
    # --port overrides the config's device, as on a bench with a printer on another adapter
    config = str(kiosk_toml(tmp_path))
    code, report = maint_json("printer", "cut", "--kiosk-config", config, "--port", port.path)
    assert code == 0 and report["ok"], report
    assert port.printer.cuts == 1
    code, report = maint_json("printer", "feed", "--lines", "3", "--kiosk-config", config,
                              "--port", port.path)
    assert code == 0 and report["findings"][0]["summary"] == "fed 3 lines"
    code, report = maint_json("printer", "feed", "--lines", "1", "--kiosk-config", config,
                              "--port", port.path)
    assert code == 0 and report["findings"][0]["summary"] == "fed 1 line"


def test_port_alone_needs_no_kiosk_config(tmp_path: Path, port: VirtualPrinterPort) -> None:
    result = maint("printer", "status", "--port", port.path,
                   env={"BRANCHQ_KIOSK_CONFIG": str(tmp_path / "no-such-kiosk.toml")})
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Printer: ready (serial {port.path}, profile default, 80 mm paper)" in result.stdout


def test_test_ticket_shows_branch_time_not_the_machines(tmp_path: Path, config: str,
                                                        port: VirtualPrinterPort) -> None:
    branch = tmp_path / "branch.toml"
    branch.write_text(example_config_text().replace('timezone = "Asia/Shanghai"',
                                                    'timezone = "America/Sao_Paulo"'))
    result = maint("printer", "test", "--kiosk-config", config, "--config", str(branch),
                   env={"TZ": "Asia/Tokyo"})
    assert result.returncode == 0, result.stdout + result.stderr
    stamps = [datetime.strptime(line, "%Y-%m-%d %H:%M:%S") for line in port.printer.text_lines
              if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line)]
    branch_now = datetime.now(ZoneInfo("America/Sao_Paulo")).replace(tzinfo=None)
    assert len(stamps) == 1 and abs(stamps[0] - branch_now) < timedelta(minutes=2), stamps


def test_silent_printer_is_not_answering(config: str, port: VirtualPrinterPort) -> None:
    port.printer.silent = True
    code, report = maint_json("printer", "test", "--kiosk-config", config)
    assert code == 1
    assert report["findings"][0]["summary"] == "not answering"
    assert port.printer.text_lines == [], "nothing is printed on a printer that does not answer"


def test_unplugged_printer_names_the_missing_port(config: str, port: VirtualPrinterPort) -> None:
    port.unplug()
    result = maint("printer", "status", "--kiosk-config", config)
    assert result.returncode == 1
    assert f"Printer: {port.path} does not exist — check the printer's USB cable" in result.stdout
