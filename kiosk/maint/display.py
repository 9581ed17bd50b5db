"""``branchq maint display test|show TEXT|clear``: the LED call signs on their serial line.

Each sign is addressed on its own, so a sign that does not acknowledge is named. Without ACK/NAK
on the line (``ack = false``) nothing can answer: the command then says what to look for on the
sign instead (``--ack`` waits for acknowledgements anyway, for signs that have them enabled).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from branchq.kiosk.maint.options import json_option, kiosk_config_option, load_kiosk, port_option
from branchq.kiosk.maint.report import Finding, Level, Report, Stop, reporting

if TYPE_CHECKING:
    from branchq.drivers.ledsign import LedSign, SignAddress, SignConfig
    from branchq.drivers.ledsign.transport import SerialTransport

AGAIN = "then run `branchq maint display test`"


@click.group()
def display() -> None:
    """LED call signs: test pattern, a message, clear.

    \b
    Examples:
      branchq maint display test
      branchq maint display show "WELCOME" --address 01
      branchq maint display clear
    """


def address_option(what: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option("--address", help=f"{what} only the sign with this address (e.g. 11); "
                                          "default: every sign in the config.")


ack_option = click.option("--ack", "force_ack", is_flag=True,
                          help="Wait for each sign's acknowledgement even if the config has "
                               "ack = false (signs with ACK/NAK enabled).")


def _config(kiosk_config: str, port: str | None, force_ack: bool) -> SignConfig:
    config = load_kiosk(kiosk_config).ledsign
    if config is None:
        raise Stop(Finding("LED sign", Level.FAULT, f"no [ledsign] section in {kiosk_config}",
                           "add the sign line to the kiosk config (see kiosk/example-kiosk.toml)"))
    config = config.replaced(port=port or config.port, ack=config.ack or force_ack)
    if not os.path.exists(config.port):
        raise Stop(Finding(
            "LED sign", Level.FAULT, f"port {config.port} does not exist",
            "check the USB-serial adapter of the sign line is plugged in (its light is on); run "
            f"`branchq maint devices` to see what is connected, {AGAIN}"))
    return config


def _targets(config: SignConfig, address: str | None) -> list[SignAddress]:
    if address is None:
        return list(config.signs)
    wanted = address.upper().zfill(2)
    chosen = [s for s in config.signs if s.address.upper() == wanted]
    if not chosen:
        known = ", ".join(s.address for s in config.signs)
        raise click.BadParameter(f"no sign {address} in the config (signs: {known})",
                                 param_hint="--address")
    return chosen


def _name(sign: SignAddress) -> str:
    where = "hall board" if sign.counter is None else f"counter {sign.counter}"
    return f"LED sign {sign.address} ({where})"


def _each_sign(report: Report, config: SignConfig, signs: list[SignAddress],
               send: Callable[[SignAddress], None], done: str,
               look_for: Callable[[SignAddress], str]) -> None:
    """Run ``send`` per sign; record acknowledgements, silence and port problems per sign."""
    from branchq.drivers.ledsign import SignRejectedError, SignTransportError

    for sign in signs:
        try:
            send(sign)
        except SignTransportError as err:
            raise Stop(Finding("LED sign", Level.FAULT, f"serial port problem: {err}",
                               "check the adapter and that the kiosk user is in group dialout, "
                               f"{AGAIN}")) from err
        except SignRejectedError:
            report.add(_name(sign), Level.FAULT, "not answering",
                       "check the sign's power and the cable to it, and that its address is "
                       f"{sign.address} (the test pattern shows the address), {AGAIN}",
                       address=sign.address)
            continue
        if config.ack:
            report.add(_name(sign), Level.OK, f"{done}, acknowledged", address=sign.address)
        else:
            report.add(_name(sign), Level.INFO,
                       f"{done} (this line has no acknowledgements: ack = false)",
                       f"look at the sign: it should show {look_for(sign)}",
                       address=sign.address)


def _sign(config: SignConfig) -> LedSign:
    from branchq.drivers.ledsign import LedSign

    return LedSign(config)


@display.command()
@address_option("Test")
@kiosk_config_option
@port_option("sign line")
@ack_option
@json_option
def test(address: str | None, kiosk_config: str, port: str | None, force_ack: bool,
         as_json: bool) -> None:
    """Show a flashing test pattern (the sign's address then 8s) on each sign.

    \b
    Example:
      branchq maint display test --address 11
    """
    from branchq.drivers.ledsign.sign import TEST_PATTERN

    with reporting("LED sign test", as_json) as report:
        config = _config(kiosk_config, port, force_ack)
        signs = _targets(config, address)
        sign_line = _sign(config)
        try:
            _each_sign(report, config, signs, lambda s: sign_line.test_pattern(s.address),
                       "test pattern sent", lambda s: f"'{s.address} {TEST_PATTERN}' flashing")
        finally:
            sign_line.close()


def _encode(sign: SignAddress, text: str) -> bytes:
    encoding = sign.cjk_encoding if sign.cjk else "ascii"
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as err:
        raise click.BadParameter(f"sign {sign.address} cannot show {text!r}: it has only "
                                 f"{'a ' + encoding if sign.cjk else 'an ASCII'} font",
                                 param_hint="TEXT") from err


def _packet(config: SignConfig, sign: SignAddress, text: str) -> bytes:
    from branchq.drivers.ledsign import encode_write_text
    from branchq.drivers.ledsign.protocol import EncodingError

    try:
        return encode_write_text(_encode(sign, text), address=sign.address, label=config.label)
    except EncodingError as err:
        raise click.BadParameter(str(err), param_hint="TEXT") from err


def _write(config: SignConfig, transport: SerialTransport, sign: SignAddress,
           packet: bytes) -> None:
    """Send one packet with the line's ACK/NAK rule (sent again once on NAK or silence)."""
    from branchq.drivers.ledsign import SignRejectedError
    from branchq.drivers.ledsign.protocol import ACK

    for _ in range(2 if config.ack else 1):
        transport.write(packet)
        if not config.ack or transport.read(2)[:1] == bytes([ACK]):
            return
    raise SignRejectedError(f"sign {sign.address} did not acknowledge")


@display.command()
@click.argument("text")
@address_option("Show it on")
@kiosk_config_option
@port_option("sign line")
@ack_option
@json_option
def show(text: str, address: str | None, kiosk_config: str, port: str | None, force_ack: bool,
         as_json: bool) -> None:
    """Show TEXT on the signs (e.g. to check a sign's position or tell the hall something).

    \b
    Example:
      branchq maint display show "COUNTER 3 CLOSED" --address 13
    """
    from branchq.drivers.ledsign.transport import SerialTransport

    with reporting("LED sign message", as_json) as report:
        config = _config(kiosk_config, port, force_ack)
        signs = _targets(config, address)
        packets = {s.address: _packet(config, s, text) for s in signs}
        transport = SerialTransport(config)
        try:
            _each_sign(report, config, signs,
                       lambda s: _write(config, transport, s, packets[s.address]),
                       "message sent", lambda s: repr(text))
        finally:
            transport.close()


@display.command()
@address_option("Clear")
@kiosk_config_option
@port_option("sign line")
@json_option
def clear(address: str | None, kiosk_config: str, port: str | None, as_json: bool) -> None:
    """Blank the signs (every sign by broadcast, or one sign).

    \b
    Example:
      branchq maint display clear --address 01
    """
    with reporting("LED sign clear", as_json) as report:
        config = _config(kiosk_config, port, False)
        signs = _targets(config, address)
        sign_line = _sign(config)
        try:
            if address is None:
                from branchq.drivers.ledsign import SignTransportError

                try:
                    sign_line.clear()
                except SignTransportError as err:
                    raise Stop(Finding("LED sign", Level.FAULT, f"serial port problem: {err}",
                                       f"check the adapter, {AGAIN}")) from err
                report.add("LED signs", Level.OK, "cleared (broadcast: signs do not answer it)")
            else:
                _each_sign(report, config, signs, lambda s: sign_line.clear(s.address),
                           "cleared", lambda s: "nothing")
        finally:
            sign_line.close()
