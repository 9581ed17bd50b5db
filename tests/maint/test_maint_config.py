"""`branchq maint config check` in a subprocess; line finding in TOML text."""

from __future__ import annotations

from pathlib import Path

from branchq.host.config import example_config_text
from branchq.kiosk.maint.toml_text import locate, replace_keys
from tests.maint.maint_helpers import kiosk_toml, maint, maint_json


def test_valid_branch_and_kiosk_configs(tmp_path: Path) -> None:
    branch = tmp_path / "branch.toml"
    branch.write_text(example_config_text())
    code, report = maint_json("config", "check", "--config", str(branch),
                              "--kiosk-config", str(kiosk_toml(tmp_path)))
    assert code == 0, report
    assert [f["level"] for f in report["findings"]] == ["ok", "ok"]


def test_bad_kiosk_value_names_its_line(tmp_path: Path) -> None:
    config = kiosk_toml(tmp_path)
    config.write_text(config.read_text().replace("heartbeat_s = 10", "heartbeat_s = 1000"))
    result = maint("config", "check", str(config))
    assert result.returncode == 1
    assert (f"{config} line 7: [kiosk] heartbeat_s: Input should be less than or equal to 300 "
            "— the line reads `heartbeat_s = 1000`") in result.stdout


def test_every_branch_mistake_with_its_line(tmp_path: Path) -> None:
    branch = tmp_path / "branch.toml"
    branch.write_text(example_config_text().replace('prefix = "V"', 'prefix = "v1"')
                      .replace('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'))
    code, report = maint_json("config", "check", str(branch))
    assert code == 1
    lines = {f["summary"].split(":")[0]: f["line"] for f in report["findings"]}
    text = branch.read_text().splitlines()
    assert text[lines["branch.timezone"] - 1] == 'timezone = "Mars/Base"'
    assert text[lines["services[2].prefix"] - 1] == 'prefix = "v1"'


def test_locate_in_arrays_and_inline_tables() -> None:
    text = '[a]\nx = 1\nsigns = [\n  { address = "01" },\n  { address = "02",\n    counter = 3 },\n]\n'
    assert locate(text, ["a", "signs", 1]) == 5
    assert locate(text, ["a", "signs", 1, "counter"]) == 6
    assert locate(text, ["a", "missing"]) == 1
    assert locate(text, ["b"]) is None


def test_replace_keys_keeps_everything_else() -> None:
    text = "# c\n[touch]\nrotate = 90  # panel upside down\ndevice = \"x\"\n\n[printer]\nk = 1\n"
    assert replace_keys(text, "touch", ["rotate", "matrix"], ["matrix = [1, 0, 0, 0, 1, 0]"]) == (
        "# c\n[touch]\nmatrix = [1, 0, 0, 0, 1, 0]\ndevice = \"x\"\n\n[printer]\nk = 1\n")


def test_a_typo_in_a_device_section_names_its_line(tmp_path: Path) -> None:
    """The driver sections are validated like the kiosk's own: a misspelt key is found by line."""
    config = kiosk_toml(tmp_path, ledsign="/dev/ttyUSB9")
    config.write_text(config.read_text().replace("[ledsign]\n", "[ledsign]\nbaud = 9600\n", 1))
    code, report = maint_json("config", "check", str(config))
    assert code == 1
    [finding] = report["findings"]
    assert "baud: unknown key (check the spelling)" in finding["summary"]
    assert config.read_text().splitlines()[finding["line"] - 1] == "baud = 9600"
