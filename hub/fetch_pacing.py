"""How long a worker lets the broker gather records for its next fetch: a moment while
records flow, a long poll while none come.

With Kafka's client defaults (``fetch.min.bytes`` 1) a fetch comes back as soon as one record
is there. Under a steady trickle (bench/pipeline.py offers 2,000 indicators/s) a worker then
went round its loop for every few records: a fetch, a produce request and their handling each
time, about 0.8 ms of the worker's CPU a round, besides the broker's for both requests. At a
fifth of the throughput it can sustain, the machine's two cores were busy enough that the
queueing set the p99 latency. Letting the broker gather records for ``busy_wait_ms`` while
busy made those rounds fewer and fuller (the measurements are in the README).

A fixed wait would also apply when nothing comes: a fetch every ``busy_wait_ms`` per worker,
which kept an idle broker at 16 % of a core instead of 6 %. The same holds for a sparse
trickle (a few records a second), which never fills a gathering fetch: switched on by any
record, pacing took the broker from 21 to 35 % of a core at 5 records/s. So the wait is on
only while records flow, that is while a poll brings records after waiting less than
``FLOWING_WITHIN`` fetch waits for them; otherwise the worker long-polls, answered at the
first record. A busy poll gives up after as long (``poll_timeout_ms``): each record of a
trickle comes twice in quick succession (ingest, then admitted), which switches the wait on,
and the worker's usual 200 ms poll would then have let the fetcher gather, in vain, about
twenty times before the poll came back empty.

aiokafka takes these settings only when the consumer is made, so they are set on its fetcher,
which reads them for every fetch request it builds (tests/integration/test_fetch_pacing.py
holds aiokafka to that).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer

# Above what one round gathers at low rates; at high rates a fetch fills it at once.
BUSY_MIN_BYTES = 256 * 1024
# What an idle fetch waits for a first record at most: aiokafka's (and Kafka's) default.
IDLE_WAIT_MS = 500
# Records flow while a poll waits less than this many busy waits for them (a busy poll
# itself waits up to one, and a round trip).
FLOWING_WITHIN = 3


class FetchPacing:
    """Switches a started consumer's fetches between gathering (busy) and long polls (idle)."""

    def __init__(self, consumer: AIOKafkaConsumer, *, busy_wait_ms: int) -> None:
        self._consumer = consumer
        self._busy_wait_ms = busy_wait_ms
        self.busy = False

    def poll_timeout_ms(self, idle_ms: int) -> int:
        """How long the next poll may wait for records: ``idle_ms`` while idle; while busy,
        no longer than records flow."""
        return min(idle_ms, FLOWING_WITHIN * self._busy_wait_ms) if self.busy else idle_ms

    def note(self, *, records_came: bool, waited_s: float) -> None:
        """After each poll: whether it brought records, and how long it waited for them."""
        # With a wait of 0 no poll is quick enough: records never flow, polls stay long.
        flowing = records_came and waited_s * 1000 < FLOWING_WITHIN * self._busy_wait_ms
        if flowing == self.busy:
            return
        fetcher = self._consumer._fetcher
        if flowing:
            fetcher._fetch_min_bytes, fetcher._fetch_max_wait_ms = (
                BUSY_MIN_BYTES,
                self._busy_wait_ms,
            )
        else:
            fetcher._fetch_min_bytes, fetcher._fetch_max_wait_ms = 1, IDLE_WAIT_MS
        self.busy = flowing
