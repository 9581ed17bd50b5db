"""schemathesis against the running host's OpenAPI: valid and invalid requests for every
operation, each sent with a credential the operation admits, and not one 5xx answer.

The operations are driven from one test with hypothesis directly: schemathesis's pytest
plugin (``from_fixture``) does not run under this pytest version.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode

from branchq.host.auth import Role
from tests.host.hostproc import HostProcess
from tests.security.matrix import CREDENTIALS, credential_for

EXAMPLES = 12  # per operation and pass: about 1200 requests, well under a minute


def _real_ids(host: HostProcess, manager: str) -> dict[str, Any]:
    """Path parameters that exist, so generated bodies reach the queue engine, not a 404."""
    with host.client(manager) as c:
        ticket = c.post("/api/v1/tickets", json={"service": "cash"}).json()["id"]
        c.post("/api/v1/tickets", json={"service": "noncash"})
        notice = c.post("/api/v1/notices", json={"text_zh": "甲", "text_en": "A"}).json()["id"]
        opinion = c.post("/api/v1/opinions", json={"text": "Fine", "phone": "13800138000"}).json()
        equipment = c.get("/api/v1/equipment").json()[0]["id"]
    return {"ticket_id": ticket, "notice_id": notice, "opinion_id": opinion["id"],
            "equipment_id": equipment, "n": 1}


def test_no_generated_request_makes_the_host_fail(host: HostProcess) -> None:
    tokens = {name: host.token(role, counter, name=name, counters=counters)
              for name, (role, counter, counters) in CREDENTIALS.items()
              if role is not Role.TELLER}
    ids = _real_ids(host, tokens["manager"])
    schema = schemathesis.openapi.from_url(f"{host.base}/openapi.json")
    failures: list[str] = []
    calls = 0

    def fuzz(operation: APIOperation, mode: GenerationMode, fixed: dict[str, Any]) -> None:
        credential = credential_for(operation.label)
        auth = {"Authorization": f"Bearer {tokens[credential]}"} if credential else {}

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: Case) -> None:
            nonlocal calls
            calls += 1
            response = case.call(base_url=host.base, headers=auth, timeout=10)
            if response.status_code >= 500:
                failures.append(f"{case.as_curl_command()}\n  -> {response.status_code} "
                                f"{response.text[:300]}")

        try:
            call()
        except Unsatisfiable:  # nothing to break: no parameters, or no body, to make invalid
            assert mode is GenerationMode.NEGATIVE, operation.label

    for result in schema.get_all_operations():
        operation = result.ok()
        fuzz(operation, GenerationMode.POSITIVE, {})
        fuzz(operation, GenerationMode.NEGATIVE, {})
        real = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
        if real:  # then with ids that exist: the engine's own checks answer
            fuzz(operation, GenerationMode.POSITIVE, real)
    assert calls > 500
    assert not failures, "\n".join(failures)
