"""The ATM / self-service button at the real kiosk process against the real host."""

from __future__ import annotations

from branchq.host.auth import Role
from tests.kiosk.conftest import Branch
from tests.kiosk.test_kiosk_e2e import host_tickets


def test_self_service_prints_guidance_while_an_atm_works(branch: Branch) -> None:
    kiosk = branch.kiosk
    kiosk.tap_button("service:atm_small")
    state = kiosk.wait_for(lambda s: s["screen"] in ("guidance", "message", "out_of_service"),
                           15, "no answer to the self-service tap")
    assert state["screen"] == "guidance", state  # was "message": the host's raw English error
    paper = "\n".join(state["paper"])
    assert "Please go to the self-service area" in paper  # the slip (its Chinese is raster)
    assert "Please use the ATMs" in paper
    assert state["unsettled"] == 0
    assert host_tickets(branch.host) == []  # guidance takes no number


def test_self_service_gives_a_counter_ticket_when_every_atm_is_out(branch: Branch) -> None:
    with branch.host.client(branch.host.token(Role.TECHNICIAN)) as tech:
        for atm in ("atm-1", "atm-2"):
            assert tech.put(f"/api/v1/equipment/{atm}",
                            json={"status": "out_of_service", "note": "jam"}).status_code == 200
    kiosk = branch.kiosk
    kiosk.tap_button("service:atm_small")
    state = kiosk.wait_for(lambda s: s["screen"] in ("ticket", "guidance", "message",
                                                     "out_of_service"), 15, "no answer")
    assert state["screen"] == "ticket", state
    assert "A001" in "\n".join(state["paper"])
    kiosk.wait_for(lambda s: s["unsettled"] == 0, 10, "journal not settled")
    [ticket] = host_tickets(branch.host)
    assert (ticket["number"], ticket["status"]) == ("A001", "waiting")  # printed and confirmed
