"""The hub's murmur2 (murmurhash2 with Kafka's seed) is Kafka's: the same hash as aiokafka's
(the Java client's) reference."""

from __future__ import annotations

import random

from aiokafka.partitioner import murmur2 as reference
from murmurhash2 import murmurhash2

from hub.partitioner import KAFKA_SEED, key_partition


def test_murmur2_matches_the_reference_for_every_length_and_many_keys() -> None:
    rng = random.Random(7)
    keys = [b"", b"a", b"ab", b"abc", b"abcd"] + [
        rng.randbytes(rng.randrange(0, 120)) for _ in range(5000)
    ]
    keys += [f"indicator--{rng.getrandbits(128):032x}".encode() for _ in range(500)]
    for key in keys:
        assert murmurhash2(key, KAFKA_SEED) == reference(key), key


def test_a_key_partition_is_the_positive_hash_modulo_the_partitions() -> None:
    # Known values of the Java client (Utils.toPositive(murmur2) % n) via the reference.
    for key in (b"isp-northnet", b"bank-meridian", b"av-sentinel", b"\xff" * 33):
        for partitions in (1, 4, 7):
            assert key_partition(key, partitions) == (reference(key) & 0x7FFFFFFF) % partitions
