"""Which batches the city refused as gaps, when several receivers reorder them.

With a shared subscription the node's batches are spread over the city's receivers, so
batch N+1 can reach one receiver before the other has committed batch N: N+1 is refused
("gap"), while N is still on its way and will be stored. The refusal names the batch it
refused (``ResendRequest.refused_seq``). Go-back-N alone cannot tell such a refusal from
one it already answered, nor from the Birth's answer, and ignoring them all left every
batch after N refused until the ack timeout, which backs off to minutes: under load, a
node with a large backlog never converged.

So each copy of a batch sent on this connection is counted, and each refusal of it takes
one off. A batch is lost when its last copy was refused and the city does not hold it;
it is sent again as soon as the city holds everything before it (at once, or on the ack
of the batch before it), never while another copy of it may still be stored.

Each such resend halves the batches let in flight, and each ack that moves the mark adds
one back up to ``sync.window_batches`` (TCP's congestion window): with the window full,
two receivers reorder batches all the time, and each refusal costs a window resent; with
a single receiver nothing is ever refused and the window stays full.
"""

from __future__ import annotations

from collections import Counter


class GapReplies:
    def __init__(self, window_batches: int) -> None:
        self._limit = window_batches
        self.window = window_batches  # batches that may be in flight now
        self._acked = 0
        self._copies: Counter[int] = Counter()  # first seq -> copies sent, not refused
        self._lost: int | None = None  # lowest lost batch, waiting for the ones before it
        self._stale: set[int] = set()  # batches resent once on a reply below the mark

    def clear(self) -> None:
        """A new connection: its first batches start from the acknowledged mark."""
        self._copies.clear()
        self._lost = None
        self._stale.clear()

    def sent(self, first: int) -> None:
        self._copies[first] += 1

    def refused(self, first: int, from_seq: int, acked: int) -> int | None:
        """The city refused the batch at ``first``, holding ``from_seq - 1``: the seq to
        go back to now, or None (held already, or another copy on its way)."""
        if self._copies[first] > 0:
            self._copies[first] -= 1
        if first <= acked or self._copies[first] > 0:
            return None
        if acked < first - 1:  # what comes before it is on its way: resend on its ack
            self._lost = first if self._lost is None else min(self._lost, first)
            return None
        if from_seq <= acked:
            # The receiver saw less than the city has acknowledged: its reply was
            # overtaken, or the city went back under its running receivers. Resend once;
            # a second such refusal waits for the Birth probe's answer, which decides.
            if first in self._stale:
                return None
            self._stale.add(first)
        return self._resend(first)

    def _resend(self, first: int) -> int:
        self.window = max(1, self.window // 2)
        return first

    def acked(self, upto: int) -> int | None:
        """The city holds ``upto``: the lost batch to send now, if it follows it."""
        for first in [f for f in self._copies if f <= upto]:
            del self._copies[first]
        self._stale = {f for f in self._stale if f > upto}
        if upto > self._acked:
            self._acked = upto
            self.window = min(self._limit, self.window + 1)
        if self._lost is None or self._lost > upto + 1:
            return None
        lost, self._lost = self._lost, None
        return self._resend(lost) if lost == upto + 1 else None

    def went_back(self, to: int) -> None:
        """Everything from ``to`` is sent again: a lost batch at or after it with it."""
        if self._lost is not None and self._lost >= to:
            self._lost = None
