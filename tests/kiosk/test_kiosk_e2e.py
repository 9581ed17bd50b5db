"""The kiosk end to end: real host, real kiosk process, virtual devices behind real OS paths."""

from __future__ import annotations

import json
import re
import signal
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from branchq.host.auth import Role
from branchq.host.config import load_config
from tests.host.hostproc import HostProcess
from tests.kiosk.conftest import Branch
from tests.kiosk.kioskproc import KioskProcess


def host_tickets(host: HostProcess) -> list[dict]:  # type: ignore[type-arg]
    with host.client(host.token(Role.MANAGER)) as manager:
        return manager.get("/api/v1/tickets").json()  # type: ignore[no-any-return]


def test_a_tap_prints_a_ticket_the_host_holds(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket", 15, "no ticket screen")
    assert "A001" in state["paper"]  # the first customer of the day gets A001
    [ticket] = host_tickets(branch.host)
    assert (ticket["number"], ticket["status"]) == ("A001", "waiting")  # printed, so counted
    kiosk.tap_button("home")
    kiosk.wait_for(lambda s: s["screen"] == "home")


def test_green_channel_goes_through_a_confirm_screen(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:noncash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket")
    kiosk.tap_button("home")
    kiosk.tap_button("green")
    kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
    kiosk.tap_button("green:noncash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket")
    tickets = {t["number"]: t for t in host_tickets(branch.host)}
    assert tickets["B002"]["priority"] == "green" and tickets["B002"]["people_ahead"] == 0


def test_a_teller_call_shows_on_the_led_signs_and_keypad(branch: Branch) -> None:
    branch.kiosk.tap_button("service:cash")
    branch.kiosk.wait_for(lambda s: s["screen"] == "ticket")
    with branch.host.client(branch.host.token(Role.TELLER, counter=1)) as teller:
        assert teller.post("/api/v1/counters/1/call-next").status_code == 200
    state = branch.kiosk.wait_for(lambda s: s["led"].get("11") == "A001 -> 1", 5, "LED not updated")
    assert state["led"]["01"].startswith("A001 -> 1")  # the hall board
    branch.kiosk.wait_for(lambda s: s["keypads"]["1"].strip() == "A001", 5, "keypad display")


def test_a_keypad_press_calls_the_next_ticket(branch: Branch) -> None:
    branch.kiosk.tap_button("service:cash")
    branch.kiosk.wait_for(lambda s: s["screen"] == "ticket")
    branch.kiosk.sim("keypad", {"unit": 2, "key": "call_next"})
    branch.kiosk.wait_for(lambda s: s["led"].get("12") == "A001 -> 2", 10, "keypad call not seen")
    [ticket] = host_tickets(branch.host)
    assert (ticket["status"], ticket["counter"]) == ("called", 2)


def test_paper_out_shows_out_of_service_and_issues_no_ticket(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.sim("printer", {"paper_out": True})
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "out_of_service", 10, "no out-of-service")
    assert state["paper"] == [] and host_tickets(branch.host) == []
    kiosk.sim("printer", {})  # the lobby manager loads a new roll
    kiosk.wait_for(lambda s: s["screen"] == "home", 30, "kiosk did not come back")
    with branch.host.client(branch.host.token(Role.MANAGER)) as manager:
        devices = manager.get("/api/v1/devices").json()
    assert any(d["device"] == "printer" for d in devices)


def test_offline_tickets_while_the_host_is_down_are_merged_once(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: "A001" in s["paper"])
    kiosk.tap_button("home")
    branch.host.kill()
    for _ in range(2):
        kiosk.sim("paper/tear")
        kiosk.tap_button("service:cash")
        state = kiosk.wait_for(lambda s: s["screen"] == "ticket" and s["paper"], 20, "no offline ticket")
        assert any(line.startswith("A5") for line in state["paper"])  # from the lease
        kiosk.tap_button("home")
    kiosk.wait_for(lambda s: s["unsettled"] == 2)  # the two offline tickets to report
    branch.host = HostProcess(branch.host.db_url, branch.tmp / "host2.log", port=branch.host.port).start()
    kiosk.wait_for(lambda s: s["unsettled"] == 0 and s["host_online"], 30, "offline tickets not reported")
    numbers = [t["number"] for t in host_tickets(branch.host)]
    assert sorted(numbers) == ["A001", "A500", "A501"]
    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket" and "A002" in s["paper"])


def test_a_kiosk_killed_mid_print_loses_nothing(branch: Branch) -> None:
    """The journal says a ticket was issued but its print never confirmed (the kiosk died while
    printing): the restarted kiosk reprints it and tells the host, so the customer's number is
    in the queue and no ghost is left."""
    with branch.host.client(branch.kiosk.token_file.read_text()) as kiosk_api:
        issued = kiosk_api.post("/api/v1/tickets", json={
            "service": "cash", "await_print": True, "client_ref": "entrance-00009999"}).json()
    branch.kiosk.kill()
    journal_path = branch.kiosk.state_dir / "journal.json"
    journal = json.loads(journal_path.read_text())
    journal["pending"].append({
        "client_ref": "entrance-00009999", "mode": "online", "service": "cash",
        "priority": "normal", "state": "issued", "issued_at": issued["issued_at"],
        "ticket_id": issued["id"], "number": None, "label": issued["number"],
        "confirm_pending": False})
    journal_path.write_text(json.dumps(journal))
    kiosk = branch.restart_kiosk()
    # Reprinted and settled: the paper is read from the virtual printer's decoded output, which
    # may trail the settle by a poll on a loaded machine, so both are waited for.
    kiosk.wait_for(lambda s: s["unsettled"] == 0 and issued["number"] in s["paper"], 20,
                   "journal not settled, or the ticket not reprinted")
    [ticket] = host_tickets(branch.host)
    assert (ticket["number"], ticket["status"]) == (issued["number"], "waiting")


def test_kill_9_right_after_a_tap_never_leaves_a_ghost_or_a_duplicate(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:cash")
    time.sleep(0.15)  # somewhere between the host's answer and the printer
    kiosk.kill()
    kiosk = branch.restart_kiosk()
    kiosk.wait_for(lambda s: s["unsettled"] == 0, 20, "journal not settled")
    tickets = host_tickets(branch.host)
    numbers = [t["number"] for t in tickets]
    assert len(numbers) == len(set(numbers))
    assert all(t["status"] in ("waiting", "voided") for t in tickets)  # no "printing" ghost


def test_a_vip_card_swipe_makes_the_next_ticket_vip(branch: Branch) -> None:
    from branchq.drivers.cardreader.reader import card_digest

    # The kiosk hashes card numbers with the branch key; the manager enrols the digest.
    kiosk = branch.restart_kiosk_with_card_key(b"k" * 32)
    with branch.host.client(branch.host.token(Role.MANAGER)) as manager:
        digest = card_digest(b"k" * 32, "4111111111111111")
        assert manager.post("/api/v1/vip-cards", json={"digest": digest}).status_code == 201
    kiosk.sim("card", {"pan": "4111111111111111"})
    time.sleep(0.5)
    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket")
    [ticket] = host_tickets(branch.host)
    assert ticket["priority"] == "vip"
    kiosk.tap_button("home")
    kiosk.sim("card", {"pan": "5500005555555559"})  # not enrolled: nothing changes
    time.sleep(0.5)
    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: s["screen"] == "ticket" and "A002" in s["paper"])
    assert {t["number"]: t["priority"] for t in host_tickets(branch.host)}["A002"] == "normal"


def test_a_network_stall_mid_request_leaves_no_ghost_and_no_duplicate(branch: Branch) -> None:
    """The host stops answering (SIGSTOP: connections hang, as when the network is cut) while
    a ticket request is in flight. The kiosk times out, issues from its lease, and when the host
    answers again the request it sent meanwhile is settled: that ticket is voided, the offline
    one is merged, and every number appears once."""
    kiosk = branch.kiosk
    kiosk.tap_button("service:cash")
    kiosk.wait_for(lambda s: "A001" in s["paper"])
    kiosk.tap_button("home")
    kiosk.sim("paper/tear")
    assert branch.host.proc is not None
    branch.host.proc.send_signal(signal.SIGSTOP)
    try:
        kiosk.tap_button("service:cash")
        state = kiosk.wait_for(lambda s: s["screen"] == "ticket" and s["paper"], 30,
                               "no offline ticket during the stall")
        assert any(line.startswith("A5") for line in state["paper"])
    finally:
        branch.host.proc.send_signal(signal.SIGCONT)
    kiosk.wait_for(lambda s: s["unsettled"] == 0 and s["host_online"], 30, "not settled")
    tickets = host_tickets(branch.host)
    numbers = [t["number"] for t in tickets]
    assert len(numbers) == len(set(numbers))
    assert {t["status"] for t in tickets} <= {"waiting", "voided"}  # no "printing" ghost
    assert [t["number"] for t in tickets if t["status"] == "waiting"][:1] == ["A001"]
    assert any(t["number"].startswith("A5") and t["status"] == "waiting" for t in tickets)


def test_back_on_the_green_channel_screen_goes_home_and_issues_nothing(branch: Branch) -> None:
    """At 800x480 Back once lay over the third service button: tapping it issued a ticket."""
    kiosk = branch.kiosk
    for lang in ("zh", "en"):
        kiosk.tap_button("green")
        state = kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
        assert {"green:cash", "green:noncash", "green:wealth", "cancel"} <= \
            {b["key"] for b in state["buttons"]}
        kiosk.tap_button("cancel")
        kiosk.wait_for(lambda s: s["screen"] == "home", 10, "Back did not return home")
        kiosk.tap_button("lang")
        english_button = lang == "en"  # after the switch, zh screens offer "English"
        kiosk.wait_for(lambda s, want=english_button: ("English" in s["texts"]) == want)
    time.sleep(0.5)  # a ticket would take this long to reach the host
    assert host_tickets(branch.host) == [] and kiosk.state()["paper"] == []


def test_screen_and_paper_show_the_hosts_wait_words(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket" and s["paper"], 15, "no ticket")
    [ticket] = host_tickets(branch.host)
    wait = ticket["wait"]
    assert wait["text_zh"] in state["texts"]  # the kiosk speaks Chinese first
    assert wait["text_en"] in state["paper"]  # (the Chinese line is a raster image on paper)
    kiosk.tap_button("home")
    home = kiosk.wait_for(lambda s: s["screen"] == "home" and "前面" in "".join(s["texts"]))
    with branch.host.client(branch.host.token(Role.MANAGER)) as manager:
        queues = {q["service"]: q for q in manager.get("/api/v1/queues").json()}
    assert queues["cash"]["wait"]["text_zh"] in home["texts"]


def test_a_cutter_error_is_named_with_its_code_not_as_a_silent_printer(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.sim("printer", {"error": True})
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "out_of_service", 10, "no out-of-service")
    text = " ".join(state["texts"])
    assert "切纸或打印头" in text and "P03" in text and "没有响应" not in text
    assert host_tickets(branch.host) == [] and state["paper"] == []


def test_the_ticket_prints_branch_time_whatever_the_machines_zone(branch: Branch) -> None:
    """The demo branch is in Asia/Shanghai ([branch] timezone); the kiosk's machine is not."""
    branch.kiosk.kill()
    kiosk = KioskProcess(branch.kiosk.host_url, branch.kiosk.token_file, branch.kiosk.state_dir,
                         branch.tmp / "kiosk-ny.log", env={"TZ": "America/New_York"}).start()
    branch.kiosk = kiosk
    kiosk.tap_button("service:cash")
    state = kiosk.wait_for(lambda s: s["screen"] == "ticket" and s["paper"], 15, "no ticket")
    [printed] = [line for line in state["paper"] if re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", line)]
    zone = ZoneInfo(load_config(None).branch.timezone)
    at = datetime.strptime(printed, "%Y-%m-%d %H:%M:%S").replace(tzinfo=zone)
    assert abs((datetime.now(zone) - at).total_seconds()) < 120, printed
