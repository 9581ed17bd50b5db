"""``branchq kiosk run``: the process on the Raspberry Pi at the branch entrance."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from dataclasses import replace
from pathlib import Path

import click

from branchq.kiosk.config import KioskConfig, KioskConfigError, load_kiosk_config

log = logging.getLogger("branchq.kiosk")


@click.group()
def kiosk() -> None:
    """The kiosk: touch screen, ticket printer, LED signs and caller keypads.

    \b
    Examples:
      branchq kiosk run --config /etc/branchq/kiosk.toml
      branchq kiosk run --simulate --preview-port 8001
    """


@kiosk.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar="BRANCHQ_KIOSK_CONFIG",
              help="Kiosk TOML (default: the bundled example). Env: BRANCHQ_KIOSK_CONFIG.")
@click.option("--simulate", is_flag=True, help="Virtual devices on ptys, a pipe and a file.")
@click.option("--preview-port", type=click.IntRange(1, 65535), default=8001, show_default=True,
              help="Simulation only: the preview page on 127.0.0.1.")
@click.option("--host-url", help="Override [kiosk] host_url.")
@click.option("--state-dir", type=click.Path(file_okay=False), help="Override [kiosk] state_dir.")
@click.option("--token-file", type=click.Path(dir_okay=False), help="Override [kiosk] token_file.")
@click.option("--keypad-token-file", type=click.Path(dir_okay=False),
              help="Override [kiosk] keypad_token_file.")
@click.option("--card-key-file", type=click.Path(dir_okay=False),
              help="Override [kiosk] card_key_file.")
def run(config_path: str | None, simulate: bool, preview_port: int, host_url: str | None,
        state_dir: str | None, token_file: str | None, keypad_token_file: str | None,
        card_key_file: str | None) -> None:
    """Run the kiosk until stopped (SIGTERM).

    \b
    Example:
      branchq kiosk run --simulate --host-url http://127.0.0.1:8000 --token-file kiosk.token
    """
    try:
        config = load_kiosk_config(config_path)
    except KioskConfigError as err:
        raise click.ClickException(str(err)) from err
    settings = config.kiosk.model_copy(update={
        k: v for k, v in {
            "host_url": host_url, "state_dir": Path(state_dir) if state_dir else None,
            "token_file": Path(token_file) if token_file else None,
            "keypad_token_file": Path(keypad_token_file) if keypad_token_file else None,
            "card_key_file": Path(card_key_file) if card_key_file else None,
        }.items() if v is not None})
    config = replace(config, kiosk=settings)
    try:
        asyncio.run(_main(config, simulate, preview_port))
    except KioskConfigError as err:
        raise click.ClickException(str(err)) from err


@kiosk.command("card-digest")
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              envvar="BRANCHQ_KIOSK_CONFIG", help="Kiosk TOML naming the card key file.")
def card_digest_command(config_path: str | None) -> None:
    """Read a VIP card number from stdin and print its digest, for enrolment by the lobby
    manager (``POST /api/v1/vip-cards``). The number never appears in argv or shell history.

    \b
    Example:
      branchq kiosk card-digest --config /etc/branchq/kiosk.toml < /dev/tty
    """
    from branchq.drivers.cardreader.reader import card_digest

    try:
        config = load_kiosk_config(config_path)
        key = config.read_secret(config.kiosk.card_key_file, "card key")
    except KioskConfigError as err:
        raise click.ClickException(str(err)) from err
    if key is None:
        raise click.ClickException("[kiosk] card_key_file is not set")
    number = "".join(ch for ch in sys.stdin.readline() if ch.isdigit())
    if not 12 <= len(number) <= 19:
        raise click.ClickException("expected a card number of 12 to 19 digits")
    click.echo(card_digest(key, number))


async def _main(config: KioskConfig, simulate: bool, preview_port: int) -> None:
    from branchq.kiosk.app import Kiosk
    from branchq.kiosk.devices import open_devices, open_virtual_devices
    from branchq.kiosk.hostlink import HostLink

    token = (config.read_secret(config.kiosk.token_file, "kiosk token") or b"").decode()
    keypad_secret = config.read_secret(config.kiosk.keypad_token_file, "keypad token")
    card_key = config.read_secret(config.kiosk.card_key_file, "card key")
    if simulate:
        devices, config = open_virtual_devices(config, config.kiosk.state_dir / "sim", card_key)
    else:
        devices = open_devices(config, card_key)
    host = HostLink(config.kiosk.host_url, token, config.kiosk.http_timeout_s)
    keypad_host = (HostLink(config.kiosk.host_url, keypad_secret.decode(),
                            config.kiosk.http_timeout_s) if keypad_secret else None)
    app = Kiosk(config, devices, host, keypad_host)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, app.stop)
    preview = None
    if simulate:
        from branchq.kiosk.preview import serve_preview

        preview = serve_preview(app, preview_port)
        log.info("kiosk preview: http://127.0.0.1:%d/", preview_port)
    try:
        await app.run()
    finally:
        if preview is not None:
            preview.shutdown()
            preview.server_close()
        await host.close()
        if keypad_host is not None:
            await keypad_host.close()
        devices.close()
