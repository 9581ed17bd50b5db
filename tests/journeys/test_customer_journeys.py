"""Customers at the kiosk, followed to their call: every button in both languages, a customer
who reads poorly (the voice and large text), a senior on the green channel, a VIP card, the ATM
button with ATMs working and all out, and the status page a customer follows on the phone (issue
12, item 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from branchq.drivers.audio.speech import spoken_number
from branchq.kiosk.layout import MIN_TEXT_MM, SUPPORTED_PANELS
from tests.drivers.audio_helpers import assert_audible
from tests.journeys.surfaces import CONFIG, FIRST_COUNTER, UI_TIMEOUT_MS, VIP_CARD, Journey

pytestmark = pytest.mark.slow

COUNTER_SERVICES = [s.key for s in CONFIG.services if s.kind == "counter" and s.key != "vip"]
KEYPAD_UNITS = {1, 2, 3}  # the demo kiosk's caller keypads sit at counters 1-3


def call(journey: Journey, counter: int) -> None:
    """The teller calls next: on the caller keypad where the counter has one, else the console."""
    if counter in KEYPAD_UNITS:
        journey.kiosk.sim("keypad", {"unit": counter, "key": "call_next"})
    else:
        journey.screens.console(counter).page.click("#btn-next")


def test_a_customer_takes_a_ticket_at_every_button_in_chinese_and_english(journey: Journey) -> None:
    kiosk = journey.kiosk
    for lang in ("zh", "en"):
        home = journey.kiosk_home(lang)
        keys = {b["key"] for b in home["buttons"]}
        # Voice and large text: the journey of a customer who reads poorly, below; the call for
        # help: tests/journeys/test_help_journeys.py; "I have an appointment":
        # tests/journeys/test_appointment_journeys.py.
        taken_here = {"lang", "green", "service:atm_small", "voice", "large", "help",
                      "appointment", *(f"service:{s}" for s in COUNTER_SERVICES)}
        assert keys == taken_here, f"home buttons no step of this journey takes: {keys - taken_here}"
        journey.snap_kiosk(f"home-{lang}")
        for service in COUNTER_SERVICES:
            taken = journey.tap_for_ticket([f"service:{service}"], lang)
            assert taken.ticket["service"] == service
            journey.expect_waiting(taken.ticket, taken)
            journey.done_at_kiosk()
            call(journey, FIRST_COUNTER[service])
            journey.expect_called(taken.ticket, FIRST_COUNTER[service])
        kiosk.tap_button("green")
        green = kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
        assert {f"green:{s}" for s in COUNTER_SERVICES} | {"cancel", "lang", "voice", "large",
                                                         "help"} == \
            {b["key"] for b in green["buttons"]}
        kiosk.tap_button("cancel")
        journey.take_slip(lang)
    assert len(journey.tickets()) == 2 * len(COUNTER_SERVICES)  # the slips took no number


def test_a_customer_who_reads_poorly_hears_the_screen_in_large_text_and_is_called(
        journey: Journey) -> None:
    kiosk = journey.kiosk
    journey.tap(journey.kiosk_home("zh"), "voice")
    spoken = kiosk.wait_for(lambda s: s["voice"]["played"], 20, "the Voice key said nothing")
    for words in ("现金业务", "非现金业务", "绿色通道"):
        assert words in spoken["voice"]["said"][-1]
    assert_audible(Path(spoken["voice"]["played"][-1]["path"]), min_seconds=5.0)
    journey.tap(spoken, "large")
    large = kiosk.wait_for(lambda s: s["large_text"], 10, "large text not shown")
    assert "service:cash" in {b["key"] for b in large["buttons"]}
    # The next frame holds half the choices, its smallest words at least twice the kiosk's
    # smallest text (the layout's rule: doubled, then fitted to the button) and larger than before.
    normal_choices, large_choices = (
        [b for b in state["buttons"] if b["key"].startswith("service:")] for state in (spoken, large))
    assert len(large_choices) <= max(1, len(normal_choices) // 2), (normal_choices, large_choices)
    smallest = max(12, round(MIN_TEXT_MM * SUPPORTED_PANELS["800x480"].px_per_mm))
    large_px = min(b["text_px"] for b in large_choices)
    assert large_px >= 2 * smallest and large_px > min(b["text_px"] for b in normal_choices)
    journey.snap_kiosk("home-large-zh")

    taken = journey.tap_for_ticket(["service:cash"], "zh")
    number = taken.ticket["number"]
    heard = kiosk.wait_for(lambda s: any(f"您的号码是 {spoken_number(number, 'zh')} 号" in said
                                         for said in s["voice"]["said"]), 20, "ticket not read")
    assert_audible(Path(heard["voice"]["played"][-1]["path"]), min_seconds=3.0)
    journey.expect_waiting(taken.ticket, taken)
    journey.done_at_kiosk()
    assert not journey.kiosk_home("zh")["large_text"]  # the next customer starts in normal text
    call(journey, FIRST_COUNTER["cash"])
    journey.expect_called(taken.ticket, FIRST_COUNTER["cash"])


def test_a_senior_takes_the_green_channel_and_is_called_first(journey: Journey) -> None:
    before = journey.tap_for_ticket(["service:cash"], "zh")
    journey.done_at_kiosk()
    senior = journey.tap_for_ticket(["green", "green:cash"], "zh")
    assert senior.ticket["priority"] == "green"
    assert "Green channel - priority" in senior.paper
    seen = journey.expect_waiting(senior.ticket, senior, state="green waiting")
    assert {s.ahead for s in seen} == {0}  # served first, though one came before
    journey.done_at_kiosk()
    call(journey, 1)
    journey.expect_called(senior.ticket, 1)
    journey.expect_waiting(before.ticket)
    call(journey, 1)
    journey.expect_called(before.ticket, 1)


def test_a_senior_taps_back_and_nothing_is_issued(journey: Journey) -> None:
    kiosk = journey.kiosk
    for lang in ("zh", "en"):
        journey.kiosk_home(lang)
        kiosk.tap_button("green")
        green = kiosk.wait_for(lambda s: s["screen"] == "green_confirm")
        back = "返回首页" if lang == "zh" else "Back"
        assert back in green["texts"], green["texts"]
        journey.snap_kiosk(f"green-{lang}")
        kiosk.tap_button("cancel")
        kiosk.wait_for(lambda s: s["screen"] == "home", 10, "Back did not return home")
        journey.snap_kiosk(f"home-after-back-{lang}")
    # Nothing anywhere: no ticket at the host, no paper, nobody waiting on the hall or lobby.
    assert journey.tickets() == [] and kiosk.state()["paper"] == []
    for name, screen, cell in (("hall", journey.screens.hall, "#queues li .q-waiting"),
                               ("lobby", journey.screens.lobby, "#queues tr td.num")):
        counts = screen.page.locator(cell).all_inner_texts()
        assert len(counts) == len(COUNTER_SERVICES) + 1 and set(counts) == {"0"}, counts  # + VIP
        journey.look(screen, name, "idle")


def test_a_vip_swipes_a_card_and_the_vip_counter_calls_them_first(journey: Journey) -> None:
    journey.enrol_vip_card()
    before = journey.tap_for_ticket(["service:cash"], "en")
    journey.done_at_kiosk()
    journey.kiosk.sim("card", {"pan": VIP_CARD})
    journey.kiosk.wait_for(lambda s: "VIP card recognised: choose a service" in s["texts"], 10,
                           "the swipe was not recognised")
    journey.snap_kiosk("vip-recognised")
    vip = journey.tap_for_ticket(["service:cash"], "en")
    assert vip.ticket["priority"] == "vip" and "VIP customer" in vip.paper
    journey.expect_waiting(vip.ticket, vip, state="vip waiting")
    journey.done_at_kiosk()
    call(journey, 5)  # the VIP counter's console
    journey.expect_called(vip.ticket, 5)
    assert journey.fresh(before.ticket)["status"] == "waiting"  # the earlier customer still waits


def test_the_atm_button_prints_a_guidance_slip_while_atms_work(journey: Journey) -> None:
    journey.set_atm("atm-1", "out_of_service")  # one broken, one working: still the ATMs
    slip = journey.take_slip("zh")
    assert "Please use the ATMs in the self-service area; the lobby manager can help you." in \
        " ".join(slip["paper"])
    assert journey.tickets() == []
    hall = journey.screens.hall
    hall.page.wait_for_function("() => document.querySelector('#ticker').innerText.includes("
                                "'ATM 1 out of service')", timeout=UI_TIMEOUT_MS)
    journey.look(hall, "hall", "atm out")


def test_the_atm_button_gives_a_cash_ticket_when_every_atm_is_out(journey: Journey) -> None:
    for atm in ("atm-1", "atm-2"):
        journey.set_atm(atm, "out_of_service")
    taken = journey.tap_for_ticket(["service:atm_small"], "en")
    assert taken.ticket["service"] == "cash"  # the self-service choice's fallback
    assert "Cash deposit / withdrawal" in taken.screen_texts
    journey.expect_waiting(taken.ticket, taken, state="atms out")
    journey.done_at_kiosk()
    call(journey, 2)
    journey.expect_called(taken.ticket, 2)


def test_the_qr_status_page_follows_a_ticket_from_waiting_to_called_to_done(journey: Journey) -> None:
    first = journey.tap_for_ticket(["service:wealth"], "zh")
    journey.done_at_kiosk()
    mine = journey.tap_for_ticket(["service:wealth"], "zh")
    assert mine.ticket["people_ahead"] == 1
    journey.expect_waiting(mine.ticket, mine)
    journey.done_at_kiosk()
    console = journey.screens.console(6)
    call(journey, 6)
    journey.expect_called(first.ticket, 6)
    journey.expect_waiting(mine.ticket, state="next")  # "您是下一位": the counter is busy
    call(journey, 6)
    journey.expect_called(mine.ticket, 6)
    status = journey.screens.status_of(mine.ticket).page
    status.wait_for_function("() => window.branchqStatus.beeps >= 1", timeout=UI_TIMEOUT_MS)  # the chime
    console.page.click("#btn-done")
    status.wait_for_selector("#state[data-status=done]", timeout=UI_TIMEOUT_MS)
    assert "Served. Thank you!" in status.inner_text("#state")
    journey.look(journey.screens.status, "status", "done")
    journey.look(console, "counter", "done")
