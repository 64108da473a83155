"""How many updates one person may have waiting, and what happens beyond that.

Someone who sends far more than can be answered (a stuck key, a script, a paste split into
hundreds of messages) gets one "slow down"; what they send while over the limit, and until
`quiet` seconds have passed without a dropped update, is dropped. Their backlog then never
holds the slots that everyone else's updates need. Pure bookkeeping on a clock value.
"""

from __future__ import annotations

from enum import Enum

MAX_PENDING = 4  # updates of one person being handled or waiting; each holds a slot
FLOOD_QUIET = 5.0  # seconds without a dropped update before someone is heard again
_FORGET_AT = 10_000  # people in a flood at once before the finished floods are forgotten


class Verdict(Enum):
    HANDLE = "handle"
    WARN_AND_DROP = "warn-and-drop"  # the first update dropped in a flood: say "slow down"
    DROP = "drop"


class FloodGate:
    def __init__(self, max_pending: int = MAX_PENDING, quiet: float = FLOOD_QUIET) -> None:
        self._max_pending = max_pending
        self._quiet = quiet
        self._pending: dict[int, int] = {}
        self._flooding_until: dict[int, float] = {}

    def arrive(self, person: int, now: float) -> Verdict:
        """An update of `person` arrived; HANDLE means call `done` when it is handled."""
        if len(self._flooding_until) > _FORGET_AT:
            self._flooding_until = {p: t for p, t in self._flooding_until.items() if t > now}
        until = self._flooding_until.get(person)
        flooding = until is not None and now < until
        if not flooding and self._pending.get(person, 0) < self._max_pending:
            self._flooding_until.pop(person, None)
            self._pending[person] = self._pending.get(person, 0) + 1
            return Verdict.HANDLE
        self._flooding_until[person] = now + self._quiet
        return Verdict.DROP if flooding else Verdict.WARN_AND_DROP

    def done(self, person: int) -> bool:
        """One of `person`'s updates is handled; True when none of theirs is left."""
        self._pending[person] -= 1
        if self._pending[person]:
            return False
        del self._pending[person]  # forget idle people: memory stays bounded
        return True
