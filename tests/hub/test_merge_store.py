"""A merge-table partition in RocksDB after its worker was killed: an earlier state, whole."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from hub.correlate.table import RocksStore

REPO = Path(__file__).resolve().parents[2]
RECORDS = 200_000  # about 200 MB: more than RocksDB's 64 MiB memtable holds, several times

# Writes records as correlate does (record n stands for changelog offset n), notes the
# checkpoint every 1,000 as a flush of the changelog would, and is killed without a close.
KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from hub.correlate.table import RocksStore

store = RocksStore(Path(sys.argv[1]))
for n in range(int(sys.argv[2])):
    store.put(b"key-%07d" % n, b"v" * 1000 + b"%d" % n)
    if n % 1000 == 999:
        store.save_checkpoint(n)
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_store_reopens_at_a_checkpoint_it_holds_everything_for(tmp_path: Path) -> None:
    path = tmp_path / "0.rocksdb"
    writer = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(path), str(RECORDS)],
        cwd=REPO,
        capture_output=True,
        timeout=300,
    )
    assert writer.returncode == -signal.SIGKILL, writer.stderr.decode()
    store = RocksStore(path)
    try:
        checkpoint = store.checkpoint
        # Writes skip the write-ahead log: what the last memtable held is gone, and the
        # restore reads it from the changelog, from the checkpoint on.
        assert 0 <= checkpoint < RECORDS - 1
        # Everything up to the checkpoint is there, as written.
        for n in range(checkpoint + 1):
            assert store.get(b"key-%07d" % n) == b"v" * 1000 + b"%d" % n
    finally:
        store.close()


def test_a_closed_store_keeps_every_write(tmp_path: Path) -> None:
    path = tmp_path / "0.rocksdb"
    store = RocksStore(path)
    for n in range(1000):
        store.put(b"key-%07d" % n, b"%d" % n)
    store.save_checkpoint(999)
    store.close()
    reopened = RocksStore(path)
    try:
        assert reopened.checkpoint == 999
        assert dict(reopened.items()) == {b"key-%07d" % n: b"%d" % n for n in range(1000)}
    finally:
        reopened.close()
