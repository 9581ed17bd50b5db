"""Button presses from a keypad's event counter: never twice, never replayed, wrap-safe.

A keypad counts presses in a 16-bit register that wraps 65535 -> 0 and remembers only the last
key. The master compares each read with the previous one:

* first read after start or reconnect: the value is taken as the baseline, nothing is delivered
  (a press from before we were listening may be hours old; replaying "call next" would call a
  customer nobody asked for — the teller sees no reaction and presses again);
* difference 0: nothing new; 1..max_step: that many presses, the last key is known, the others
  are reported as ``missed``;
* a larger difference (the keypad rebooted and restarted at 0, or garbage): re-baseline, deliver
  nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

COUNTER_MODULO = 1 << 16


def presses_between(previous: int, current: int) -> int:
    """Presses between two counter reads, across the 65535 -> 0 wrap."""
    return (current - previous) % COUNTER_MODULO


@dataclass
class CounterTracker:
    """The last counter value seen from one keypad (None: no baseline yet)."""

    max_step: int
    last: int | None = None

    def resync(self) -> None:
        """Forget the baseline: the next read becomes the new one."""
        self.last = None

    def update(self, counter: int) -> int | None:
        """New presses since the last read; None when this read was taken as a baseline."""
        previous, self.last = self.last, counter
        if previous is None:
            return None
        step = presses_between(previous, counter)
        return None if step > self.max_step else step
