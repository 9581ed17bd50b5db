"""The morning check (开门检查): before opening, is every part of the hall ready to serve?

Each item is green or red, in both languages, and a red one says what to do next. The items are
tested live where the host can test them: the speech of the hall is rendered now and must be
audible, the hall display must be connected to the event stream now, last night's database
backup must be in its folder now. What only the kiosk can see (its printer, its LED signs and
keypads) comes from the kiosk's heartbeat (``POST /api/v1/devices/heartbeat``, every few
seconds), so it is as fresh as the kiosk's last heartbeat; a kiosk that has gone silent turns
all of its items red. The lobby dashboard runs it (docs/web.md, "Morning check"), and so does
``branchq maint health --opening`` (docs/maintenance.md); the dashboard's run is kept in the day's
event log and so in the daily work log.
"""

from __future__ import annotations

import array
import os
import re
import sys
import tempfile
import wave
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from branchq.host.config import BranchConfig
from branchq.host.engine import QueueEngine
from branchq.host.engine.model import DeviceState
from branchq.host.voice import Announcement, Lang, VoiceError, VoiceRenderer

#: What a kiosk's touch report says until the screen is first touched (kiosk/app.py).
UNTOUCHED = "not touched yet"
#: A kiosk not heard from for this long is silent (as the lobby's device table says, host/api/devices.py).
KIOSK_SILENT_AFTER = timedelta(seconds=90)
#: Where ``branchq maint db backup --out /var/backups/branchq/`` puts the nightly backup
#: (docs/deploy.md); ``BRANCHQ_BACKUP_DIR`` names another folder.
DEFAULT_BACKUP_DIR = Path("/var/backups/branchq")
#: The names ``branchq maint db backup`` gives its files in a folder (kiosk/maint/db.py); a
#: ``branchq-before-restore-...`` safety copy is not a nightly backup.
BACKUP_NAME = re.compile(r"^branchq-\d{8}-\d{6}\.(db|pgdump)$")
#: The phrase the hall speaks for the test, and the least a WAV must hold to be heard.
VOICE_TEST = Announcement("A001", 1)
MIN_SPOKEN_S = 0.5
MIN_PEAK = 1000  # of 32767: a rendering whose loudest sample is below this is silence


@dataclass(frozen=True)
class Item:
    """One line of the checklist. ``key`` is stable (``printer:entrance``, ``voice``...)."""

    key: str
    ok: bool
    name_zh: str
    name_en: str
    detail_zh: str
    detail_en: str
    action_zh: str = ""  # what to do next; empty when green
    action_en: str = ""


@dataclass(frozen=True)
class OpeningCheck:
    at: datetime
    items: list[Item]

    @property
    def ok(self) -> bool:
        return all(i.ok for i in self.items)

    def as_data(self) -> dict[str, Any]:
        """JSON-safe: the API's answer and the recorded event's data."""
        return {"at": self.at.isoformat(), "ok": self.ok, "items": [asdict(i) for i in self.items]}


def backup_dir() -> Path:
    return Path(os.environ.get("BRANCHQ_BACKUP_DIR") or DEFAULT_BACKUP_DIR)


# ---------------------------------------------------------------------------- kiosk devices
# What a kiosk's printer report means (its detail starts with the kiosk's message code,
# kiosk/messages.py; docs/kiosk-messages.md), and what the lobby manager does about it.
_PRINTER = {
    "P01": ("打印纸用完", "out of paper", "装入新纸卷，合上盖子",
            "load a new paper roll and close the cover"),
    "P02": ("打印机盖未关", "cover open", "合上打印机盖", "close the printer cover"),
    "P03": ("切纸刀或打印头故障", "cutter or print head fault",
            "清除卡纸；仍不行请联系技术员（branchq maint printer status）",
            "clear the paper jam; if it stays, call the technician (branchq maint printer status)"),
    "P04": ("打印机暂停", "printer paused", "按打印机的进纸键，或关机再开",
            "press the printer's feed button, or switch it off and on"),
    "P05": ("打印机无响应", "printer not answering", "检查打印机电源和数据线",
            "check the printer's power and cable"),
}
_NAMES = {"printer": ("取号打印机", "Ticket printer"), "touch": ("触摸屏", "Touch screen"),
          "ledsign": ("LED 叫号屏", "LED signs"), "cardreader": ("读卡器", "Card reader"),
          "framebuffer": ("取号机屏幕", "Kiosk screen")}


def _device_name(kiosk: str, device: str) -> tuple[str, str]:
    keypad = re.fullmatch(r"keypad-(\d+)", device)
    zh, en = (f"叫号器 {keypad[1]}", f"Caller keypad {keypad[1]}") if keypad else \
        _NAMES.get(device, (device, device))
    return f"{zh}（{kiosk}）", f"{en} ({kiosk})"


def _unknown(key: str, name: tuple[str, str]) -> Item:
    """A device of a kiosk that has gone silent: its last report may no longer be true."""
    return Item(key, False, *name, "取号机无心跳，状态不明", "the kiosk is silent: state unknown",
                "先让取号机恢复在线", "get the kiosk back online first")


def _printer_item(kiosk: str, state: DeviceState | None, silent: bool) -> Item:
    name = _device_name(kiosk, "printer")
    if silent:
        return _unknown(f"printer:{kiosk}", name)
    if state is None:
        return Item(f"printer:{kiosk}", False, *name, "取号机未报告打印机", "the kiosk reports no printer",
                    "检查取号机配置的打印机（branchq maint printer status）",
                    "check the kiosk's printer (branchq maint printer status)")
    if state.status == "ok":
        return Item(f"printer:{kiosk}", True, *name, "有纸，盖已合上", "paper loaded, cover closed")
    if state.status == "warning":
        return Item(f"printer:{kiosk}", False, *name, "打印纸快用完", "paper near its end",
                    "开门前换上新纸卷", "put in a new roll before opening")
    code = state.detail.split(":", 1)[0].strip()
    zh, en, action_zh, action_en = _PRINTER.get(code, _PRINTER["P05"])
    return Item(f"printer:{kiosk}", False, *name, zh, f"{en} ({state.detail})" if state.detail else en,
                action_zh, action_en)


def _touch_item(kiosk: str, state: DeviceState | None, silent: bool) -> Item:
    """Green once the kiosk has felt a touch since it started (red until then: the manager taps
    its screen once), red on a fault of its touch reader; a kiosk that sends no touch report
    (before issue 17) is green while alive (docs/web.md, "Morning check")."""
    name = _device_name(kiosk, "touch")
    if silent:
        return _unknown(f"touch:{kiosk}", name)
    if state is None:  # a kiosk of before issue 17 sends no touch report
        return Item(f"touch:{kiosk}", True, *name, "未报告故障", "no fault reported")
    if state.status == "ok" and state.detail == UNTOUCHED:  # alive, but nobody touched it yet
        return Item(f"touch:{kiosk}", False, *name, "开机后还没有触摸过",
                    "not touched since the kiosk started", "点一下取号机屏幕，看它是否有反应",
                    "tap the kiosk screen once and see that it answers")
    if state.status == "ok":
        return Item(f"touch:{kiosk}", True, *name, "触摸有反应", "a touch was felt")
    return Item(f"touch:{kiosk}", False, *name, "故障", f"{state.status}: {state.detail}",
                "点一下取号机屏幕；不灵请联系技术员（branchq maint touch monitor）",
                "tap the kiosk screen; if it does not answer, call the technician "
                "(branchq maint touch monitor)")


def _test_slip_item(kiosk: str, slip: str, state: DeviceState | None, silent: bool) -> Item:
    """The test slip the lobby asked for (``slip``, its id): printed, failed, or not yet."""
    key, name = f"test_slip:{kiosk}", (f"测试单（{kiosk}）", f"Test slip ({kiosk})")
    if silent:
        return _unknown(key, name)
    if state is None or not state.detail.startswith(f"{slip}:"):
        return Item(key, False, *name, "已发给取号机，还没有打印", "sent to the kiosk, not printed yet",
                    "稍等几秒；一直没有请查看取号机",
                    "wait a few seconds; if nothing comes, look at the kiosk")
    if state.status == "ok":
        return Item(key, True, *name, "已打印，请看中文和二维码是否清楚",
                    "printed: check its Chinese and its QR code are clear")
    detail = state.detail.split(":", 1)[1].strip()
    code = detail.split(":", 1)[0].strip()
    zh, en, action_zh, action_en = _PRINTER.get(code, _PRINTER["P05"])
    return Item(key, False, *name, f"没有打印：{zh}", f"not printed: {en}", action_zh, action_en)


def _reported_item(kiosk: str, state: DeviceState, silent: bool) -> Item:
    """An LED sign, a keypad or another device the kiosk reports: it answers, or it does not."""
    key = f"{state.device}:{kiosk}"
    name = _device_name(kiosk, state.device)
    if silent:
        return _unknown(key, name)
    if state.status == "ok":
        return Item(key, True, *name, "有应答", "answers")
    cable = ("检查它的电源和 RS-485 线；技术员：branchq maint keypad scan / display test",
             "check its power and RS-485 cable; technician: branchq maint keypad scan / display test")
    return Item(key, False, *name, "无应答" if state.status == "offline" else "故障",
                f"{state.status}: {state.detail}" if state.detail else state.status, *cable)


def _kiosk_items(kiosk: str, devices: Mapping[str, DeviceState], last: datetime | None,
                 now: datetime, slip: str | None = None) -> list[Item]:
    silent = last is None or now - last > KIOSK_SILENT_AFTER
    name = (f"取号机 {kiosk}", f"Kiosk {kiosk}")
    if silent:
        minutes = 0 if last is None else int((now - last).total_seconds()) // 60
        ago_zh, ago_en = ("本次开机后未收到", "none since the host started") if last is None else (
            f"{minutes} 分钟前", f"{minutes} min ago")
        items = [Item(f"kiosk:{kiosk}", False, *name, f"无心跳（上次：{ago_zh}）",
                      f"no heartbeat (last: {ago_en})", "打开取号机电源，检查网线",
                      "switch the kiosk on and check its network cable")]
    else:
        items = [Item(f"kiosk:{kiosk}", True, *name, "在线", "online")]
    items.append(_printer_item(kiosk, devices.get("printer"), silent))
    if slip is not None:
        items.append(_test_slip_item(kiosk, slip, devices.get("test_slip"), silent))
    items.append(_touch_item(kiosk, devices.get("touch"), silent))
    for device in sorted(d for d in devices if d not in ("printer", "touch", "test_slip")):
        items.append(_reported_item(kiosk, devices[device], silent))
    return items


def device_items(engine: QueueEngine, kiosks: Mapping[str, datetime], now: datetime) -> list[Item]:
    """Kiosks, their printers, touch screens, LED signs and keypads (call under the read lock)."""
    by_kiosk: dict[str, dict[str, DeviceState]] = {k: {} for k in kiosks}
    for (kiosk, device), state in engine.devices.items():
        by_kiosk.setdefault(kiosk, {})[device] = state
    if not by_kiosk:
        return [Item("kiosk", False, "取号机", "Kiosk", "没有取号机连接过主机",
                     "no kiosk has reported to the host", "打开取号机；技术员：branchq maint health",
                     "switch the kiosk on; technician: branchq maint health")]
    items = [i for kiosk in sorted(by_kiosk)
             for i in _kiosk_items(kiosk, by_kiosk[kiosk], kiosks.get(kiosk), now,
                                   engine.test_slips.get(kiosk))]
    for device, zh, en in (("ledsign", "LED 叫号屏", "LED signs"), ("keypad", "叫号器", "Caller keypads")):
        if not any(d == device or d.startswith(f"{device}-") for k in by_kiosk for d in by_kiosk[k]):
            items.append(Item(device, False, zh, en, "没有取号机报告", "no kiosk reports any",
                              "检查取号机到柜台的 RS-485 线；技术员：branchq maint devices",
                              "check the RS-485 line from the kiosk to the counters; technician: "
                              "branchq maint devices"))
    return items


# ---------------------------------------------------------------------------- the hall
def equipment_items(engine: QueueEngine) -> list[Item]:
    names = {e.id: (e.name_zh or e.id, e.name_en or e.id) for e in engine.config.equipment}
    out = []
    for e in engine.equipment.values():
        if e.kind not in ("atm", "self_service"):
            continue
        if e.in_service:
            out.append(Item(f"equipment:{e.id}", True, *names[e.id], "正常服务", "in service"))
        else:
            note = f"（{e.note}）" if e.note else ""
            out.append(Item(f"equipment:{e.id}", False, *names[e.id], f"暂停服务{note}",
                            f"out of service{f' ({e.note})' if e.note else ''}",
                            "修好后在“设备”中点“恢复服务”（取号机随即引导客户使用）",
                            "once it works, tap Back in service under Devices (the kiosk then sends "
                            "customers to it)"))
    return out


def notice_item(engine: QueueEngine, now: datetime) -> Item:
    """Notices left from an earlier day may no longer be true ("ATM 2 out of service")."""
    tz = engine.config.branch.tz
    today = now.astimezone(tz).date()
    old = [n for n in engine.notices.values() if n.posted_at.astimezone(tz).date() < today]
    name = ("公告", "Notices")
    if not old:
        count = len(engine.notices)
        return Item("notices", True, *name, f"{count} 条，均为今天发布" if count else "没有公告",
                    f"{count} posted today" if count else "no notices")
    first = old[0]
    posted = first.posted_at.astimezone(tz).date().isoformat()
    return Item("notices", False, *name,
                f"{len(old)} 条为以前发布：“{first.text_zh}”（{posted}）",
                f"{len(old)} posted before today: \"{first.text_en}\" ({posted})",
                "撤下已不属实的公告，仍有效的重新发布", "clear those no longer true; post the others again")


def hall_item(displays: int) -> Item:
    name = ("大厅显示屏", "Hall display")
    if displays:
        return Item("hall_display", True, *name, f"已连接 {displays} 台", f"{displays} connected")
    return Item("hall_display", False, *name, "没有连接", "none connected",
                "打开大厅电视，用显示屏链接打开 /hall 页面",
                "switch the hall TV on and open /hall with its display link")


# ---------------------------------------------------------------------------- host-side tests
def audible_seconds(path: Path) -> float:
    """How long ``path`` (16-bit PCM WAV) speaks; 0.0 when its loudest sample is silence."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise VoiceError(f"unexpected WAV sample width {wav.getsampwidth()}")
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = array.array("h", frames)
    if sys.byteorder == "big":
        samples.byteswap()
    peak = max((abs(s) for s in samples), default=0)
    return seconds if peak >= MIN_PEAK else 0.0


def voice_item(renderer_program: str = "espeak-ng") -> Item:
    """Render the hall's call in both languages now (not from the cache: the synthesiser itself
    is tested) and listen to it. Blocking: run it in a thread."""
    name = ("大厅语音", "Hall voice")
    langs: tuple[Lang, ...] = ("zh", "en")
    try:
        with tempfile.TemporaryDirectory(prefix="branchq-voice-check-") as folder:
            renderer = VoiceRenderer(Path(folder), renderer_program)
            spoken = {lang: audible_seconds(renderer.render(VOICE_TEST, lang)) for lang in langs}
    except (VoiceError, OSError, wave.Error) as err:
        return Item("voice", False, *name, f"无法合成语音：{err}", f"speech not rendered: {err}",
                    "请技术员在主机上安装 espeak-ng（sudo apt-get install espeak-ng）",
                    "have the technician install espeak-ng on the server (sudo apt-get install espeak-ng)")
    quiet = [lang for lang in langs if spoken[lang] < MIN_SPOKEN_S]
    if quiet:
        return Item("voice", False, *name, f"合成的语音无声（{'、'.join(quiet)}）",
                    f"the rendered speech is silent ({', '.join(quiet)})",
                    "请技术员检查 espeak-ng 的语音包（espeak-ng -v cmn-latn-pinyin 你好）",
                    "have the technician check espeak-ng's voices (espeak-ng -v cmn-latn-pinyin hello)")
    return Item("voice", True, *name, f"语音清晰（中文 {spoken['zh']:.1f} 秒）",
                f"audible (English {spoken['en']:.1f} s)")


def previous_open_day(config: BranchConfig, today: date) -> date:
    day = today - timedelta(days=1)
    for _ in range(7):
        if day.isoweekday() in config.branch.open_days:
            return day
        day -= timedelta(days=1)
    return day


def backup_item(config: BranchConfig, folder: Path, now: datetime) -> Item:
    """The newest ``branchq-DATE-TIME.db`` (or ``.pgdump``) in ``folder`` must be from after the
    last open day began: a backup of last night, or of this morning."""
    tz = config.branch.tz
    name = ("昨晚的数据库备份", "Last night's database backup")
    action = (f"请技术员现在备份：branchq maint db backup --out {folder}/，并检查每晚的定时备份",
              f"have the technician back up now: branchq maint db backup --out {folder}/, and check "
              "the nightly timer")
    since_day = previous_open_day(config, now.astimezone(tz).date())
    since = datetime.combine(since_day, time.fromisoformat(config.branch.opens_at), tz)
    try:
        found = [(p.stat().st_mtime, p) for p in folder.iterdir() if BACKUP_NAME.fullmatch(p.name)]
    except FileNotFoundError:
        return Item("backup", False, *name, f"没有备份文件夹 {folder}", f"no backup folder {folder}", *action)
    except OSError as err:
        return Item("backup", False, *name, f"无法读取 {folder}：{err.strerror}",
                    f"cannot read {folder}: {err.strerror}", *action)
    found = [(mtime, p) for mtime, p in found if p.stat().st_size > 0]
    if not found:
        return Item("backup", False, *name, f"{folder} 中没有备份", f"no backup in {folder}", *action)
    mtime, newest = max(found)
    taken = datetime.fromtimestamp(mtime, tz)
    when = taken.strftime("%Y-%m-%d %H:%M")
    if taken < since:
        return Item("backup", False, *name, f"最新的备份是 {when} 的（{newest.name}）",
                    f"the newest is from {when} ({newest.name})", *action)
    return Item("backup", True, *name, f"{newest.name}（{when}）", f"{newest.name} ({when})")
