"""Kafka's default partitioner (murmur2 of the key), as the Java client computes it.

The hash is the ``murmurhash2`` package's, in C: the worker hashes two or three new keys
per indicator, and aiokafka's pure-Python murmur2 took about 6 µs a key (a Python version
of the hub's own, on 32-bit words, still 1.5-3 µs); the C one takes 0.15 µs, less than a
cache lookup would. tests/hub/test_partitioner.py holds it to aiokafka's on random keys.
"""

from __future__ import annotations

from murmurhash2 import murmurhash2

# Kafka's seed for murmur2 (org.apache.kafka.common.utils.Utils.murmur2).
KAFKA_SEED = 0x9747B28C


def key_partition(key: bytes, partitions: int) -> int:
    """The partition index (of ``partitions``) Kafka's default partitioner gives ``key``."""
    return key_hash(key) % partitions


def key_hash(key: bytes) -> int:
    """What Kafka's default partitioner takes modulo the partition count."""
    return murmurhash2(key, KAFKA_SEED) & 0x7FFFFFFF


def ingest_partition(ingest_id: str, partitions: int) -> int:
    """The ``fusion.ingest`` partition index of a record: by its ingest id, not its key.

    The message's key stays the partner id (what an unreadable record is attributed by),
    but records are spread over the partitions by their own id, so one partner's feed (a
    100,000-row report, say) is admitted by every worker instead of the one holding the
    partner's partition. Nothing downstream needs a partner's records in order: a merge
    keeps the latest ``modified`` of each contribution and the widest seen times whatever
    order its versions come in. A record sent again (a re-import of the same row) keeps its
    id, so it lands where it landed before.
    """
    return key_partition(ingest_id.encode(), partitions)
