"""LZ4 at its fast level for the record batches the hub writes.

The hub's messages are JSON with the same keys and much the same values over and over, and
LZ4 shrinks a batch of them several-fold. Fewer bytes cost less to write to the socket, for
the broker to take and for the kernel to copy, and that saving is larger than the cost of
compressing (README, "Measured performance").

aiokafka compresses LZ4 at level 9, LZ4's slower "high compression" mode, and its producer
has no setting for the level. On the output of a CSV import, level 9 compressed 259 MB/s
to 1/8.9 of the size, the fast mode 2,022 MB/s to 1/7.8; level 9 cost the workers more than
it saved them. aiokafka's record batch builders look their encoder up as a module global on
every batch, so ``use_fast_lz4`` puts one there that asks for the fast level. The output is
the same LZ4 frame format (independent blocks, as Kafka requires), which every Kafka client
and the broker read.
"""

from __future__ import annotations

import importlib
import logging
from functools import partial
from typing import Any

from aiokafka import codec

log = logging.getLogger(__name__)

# LZ4 frame levels below 3 are the fast mode (LZ4_compress_fast); 3 and above are LZ4 HC.
FAST_LZ4_LEVEL = 1

fast_lz4_encode = partial(codec.lz4_encode, level=FAST_LZ4_LEVEL)

# aiokafka's batch builders: the pure Python one and the compiled one it normally uses.
_BUILDER_MODULES = ("aiokafka.record.default_records", "aiokafka.record._crecords.default_records")


def _builder_modules() -> list[Any]:
    modules = []
    for name in _BUILDER_MODULES:
        try:
            modules.append(importlib.import_module(name))
        except ImportError:  # aiokafka built without its extensions
            continue
    return modules


def use_fast_lz4() -> bool:
    """Make aiokafka's batch builders compress LZ4 at the fast level; True if they now do.

    Safe to call more than once. If an aiokafka release no longer looks the encoder up where
    this expects, nothing is changed - LZ4 batches are then written at aiokafka's own level,
    still correct, only slower - and a warning says so.
    """
    modules = _builder_modules()
    if not modules or not all(hasattr(module, "lz4_encode") for module in modules):
        log.warning("aiokafka's batch builders have no lz4_encode; LZ4 stays at its level 9")
        return False
    for module in modules:
        module.lz4_encode = fast_lz4_encode
    return True


def fast_lz4_in_use() -> bool:
    """Whether every batch builder aiokafka has here compresses LZ4 at the fast level."""
    modules = _builder_modules()
    return bool(modules) and all(
        getattr(module, "lz4_encode", None) is fast_lz4_encode for module in modules
    )
