"""Two installs from one package: the wheel installed with ``[kiosk]`` and with ``[host]``, each
into a fresh venv, runs its side of branchq and lacks the other side's libraries.

The wheel is built from this checkout (so package data and the package list are what a user
gets); its dependencies come from PyPI, or from pip's cache after ``make test`` installed them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.kiosk.kioskproc import KioskProcess

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
HOST_ONLY = ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg")
KIOSK_ONLY = ("evdev", "pymodbus", "usb", "escpos", "serial")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(REPO)],
                   check=True, capture_output=True, timeout=300)
    (found,) = out.glob("branchq-*.whl")
    return found


def _install(wheel: Path, extras: tuple[str, ...], root: Path) -> dict[str, Path]:
    """A fresh venv per extra, the installs run side by side (each is mostly waiting on pip).

    The venvs get no pip of their own: this environment's pip installs into each
    (``--python``), which spares two copies of pip being unpacked and compiled; and nothing is
    compiled at install (``--no-compile``): a process compiles what it imports, a small part
    of what the extra installs."""
    pythons, installs = {}, []
    for extra in extras:
        where = root / f"{extra}-venv"
        venv.create(where, with_pip=False)
        pythons[extra] = where / "bin" / "python"
        installs.append(subprocess.Popen([sys.executable, "-m", "pip", "--python",
                                          str(pythons[extra]), "install", "-q", "--no-compile",
                                          f"{wheel}[{extra}]"],
                                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT))
    for extra, install in zip(extras, installs, strict=True):
        output, _ = install.communicate(timeout=600)
        assert install.returncode == 0, f"pip install [{extra}] failed:\n{output.decode()[-2000:]}"
    return pythons


def _importable(python: Path, names: tuple[str, ...]) -> list[str]:
    probe = ("import importlib.util, json, sys\n"
             "print(json.dumps([n for n in sys.argv[1:] if importlib.util.find_spec(n)]))")
    result = subprocess.run([str(python), "-c", probe, *names], capture_output=True, text=True,
                            check=True, timeout=60, cwd="/")
    found: list[str] = json.loads(result.stdout)
    return found


@pytest.fixture(scope="module")
def installs(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _install(wheel, ("kiosk", "host"), tmp_path_factory.mktemp("venvs"))


@pytest.fixture(scope="module")
def kiosk_python(installs: dict[str, Path]) -> Path:
    return installs["kiosk"]


@pytest.fixture(scope="module")
def host_python(installs: dict[str, Path]) -> Path:
    return installs["host"]


@pytest.fixture
def host(tmp_path: Path) -> Iterator[HostProcess]:
    running = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log").start()
    yield running
    running.kill()


def test_the_kiosk_install_has_no_web_framework_and_no_orm(kiosk_python: Path) -> None:
    assert _importable(kiosk_python, HOST_ONLY) == []
    assert _importable(kiosk_python, KIOSK_ONLY) == list(KIOSK_ONLY)


def test_the_host_install_has_no_input_modbus_or_usb_stack(host_python: Path) -> None:
    assert _importable(host_python, KIOSK_ONLY) == []
    assert _importable(host_python, HOST_ONLY) == list(HOST_ONLY)


def test_the_kiosk_install_prints_a_ticket(kiosk_python: Path, host: HostProcess,
                                           tmp_path: Path) -> None:
    """`branchq kiosk run --simulate` from the kiosk venv: home screen, a tap, a ticket on paper."""
    token_file = tmp_path / "kiosk.token"
    token_file.write_text(host.token(Role.KIOSK, name="kiosk venv"))
    kiosk = KioskProcess(host.base, token_file, tmp_path / "state", tmp_path / "kiosk.log",
                         command=(str(kiosk_python.parent / "branchq"),)).start()
    try:
        kiosk.tap_button("service:cash")
        kiosk.wait_for(lambda s: "A001" in s["paper"], 20, "no ticket printed")
        with host.client(host.token(Role.MANAGER)) as manager:
            issued = manager.get("/api/v1/tickets").json()
        assert [t["number"] for t in issued] == ["A001"]
    finally:
        kiosk.kill()


def test_the_host_install_serves_the_branch(host_python: Path, tmp_path: Path) -> None:
    served = HostProcess(f"sqlite:///{tmp_path / 'branchq.db'}", tmp_path / "host.log",
                         command=(str(host_python.parent / "branchq"),)).start()
    try:
        assert httpx.get(f"{served.base}/hall", timeout=5).status_code == 200
    finally:
        served.kill()


@pytest.mark.parametrize("args", [["host", "run", "--demo-branch"],
                                  ["maint", "db", "check", "--db", "sqlite:////tmp/branchq-absent.db"]],
                         ids=["host run", "maint db check"])
def test_a_command_of_the_other_install_says_which_extra_it_needs(kiosk_python: Path,
                                                                  args: list[str]) -> None:
    result = subprocess.run([str(kiosk_python.parent / "branchq"), *args],
                            capture_output=True, text=True, timeout=60, cwd="/")
    assert result.returncode == 1
    assert "pip install 'branchq[host]'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
