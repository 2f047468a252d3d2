"""Which batches the city refused as gaps, when several receivers reorder them.

With a shared subscription the node's batches are spread over the city's receivers, so
batch N+1 can reach one receiver before the other has committed batch N: N+1 is refused
("gap"), while N is still on its way and will be stored. The refusal names the batch it
refused (``ResendRequest.refused_seq``). Go-back-N alone cannot tell such a refusal from
one it already answered, nor from the Birth's answer, and ignoring them all left every
batch after N refused until the ack timeout, which backs off to minutes: under load, a
node with a large backlog never converged.

So each copy of a batch sent on this connection is counted, and each refusal of it takes
one off. When the last copy of a batch was refused and the city does not hold it, the node
goes back to what the refusal says the city lacks (go-back-N), at once: with one receiver
that batch was lost; with several it may still be on its way and costs one duplicate.
Copies a go-back left behind are answered by it: their refusals send nothing again.

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
        self._live: Counter[int] = Counter()  # first seq -> copies in the window, unanswered
        self._dropped: Counter[int] = Counter()  # copies a go-back left behind
        self._stale: set[int] = set()  # batches resent once on a reply below the mark

    def clear(self) -> None:
        """A new connection: its first batches start from the acknowledged mark."""
        self._live.clear()
        self._dropped.clear()
        self._stale.clear()

    def sent(self, first: int) -> None:
        self._live[first] += 1

    def refused(self, first: int, from_seq: int, acked: int) -> int | None:
        """The city refused the batch at ``first``, holding ``from_seq - 1``: the seq to
        go back to now, or None (held already, or a newer copy is on its way)."""
        if self._dropped[first] > 0:  # a copy a go-back already sent again (oldest first)
            self._dropped[first] -= 1
            return None
        if self._live[first] > 0:
            self._live[first] -= 1
        if first <= acked or self._live[first] > 0:
            return None
        if from_seq <= acked:
            # The receiver saw less than the city has acknowledged: its reply was
            # overtaken, or the city went back under its running receivers. Resend once;
            # a second such refusal waits for the Birth probe's answer, which decides.
            if first in self._stale:
                return None
            self._stale.add(first)
        self.window = max(1, self.window // 2)
        return max(from_seq, acked + 1)

    def acked(self, upto: int) -> None:
        """The city holds ``upto``: one more batch may be in flight."""
        for counter in (self._live, self._dropped):
            for first in [f for f in counter if f <= upto]:
                del counter[first]
        self._stale = {f for f in self._stale if f > upto}
        if upto > self._acked:
            self._acked = upto
            self.window = min(self._limit, self.window + 1)

    def went_back(self, dropped: list[int]) -> None:
        """The batches at ``dropped`` left the window: their copies' refusals are answered."""
        for first in dropped:
            if self._live[first] > 0:
                self._live[first] -= 1
                self._dropped[first] += 1
