"""Ticket ids: unguessable, URL-safe, never repeated, and not shared with a forked child."""

from __future__ import annotations

import os
import re

from branchq.host.api.tickets import ID_PATTERN
from branchq.host.ticket_ids import RandomPool, new_ticket_id


def test_ids_are_128_bit_url_safe_and_distinct() -> None:
    ids = [new_ticket_id() for _ in range(5000)]  # several 4 KiB refills
    assert len(set(ids)) == len(ids)
    assert all(re.fullmatch(ID_PATTERN, i) and len(i) == 22 for i in ids)


def test_a_forked_child_does_not_reuse_the_parents_buffer() -> None:
    pool = RandomPool(chunk=4096)
    pool.take(16)  # the buffer now holds bytes the parent would hand out next
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        os.write(write, pool.take(16))
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.waitpid(pid, 0)
    assert child != pool.take(16)
