"""Waiting for a child server: an exit or a silence fails at once, with where to look."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.processes import wait_until_answering


def child(code: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def test_a_child_that_exits_fails_the_wait_with_its_status() -> None:
    process = child("import sys; sys.exit(3)")
    with pytest.raises(RuntimeError, match=r"medallion exited with status 3: see m\.log"):
        wait_until_answering(
            process, lambda: False, name="medallion", timeout_s=30, details=lambda: "see m.log"
        )


def test_a_child_that_never_answers_is_stopped_and_the_wait_times_out() -> None:
    process = child("import time; time.sleep(600)")
    with pytest.raises(TimeoutError, match=r"serve did not answer in 1 s: see s\.log"):
        wait_until_answering(
            process, lambda: False, name="serve", timeout_s=1, details=lambda: "see s.log"
        )
    assert process.poll() is not None  # stopped, not left running


def test_a_child_that_answers_ends_the_wait() -> None:
    process = child("import time; time.sleep(600)")
    answers = iter([False, False, True])
    try:
        wait_until_answering(
            process, lambda: next(answers), name="x", timeout_s=30, details=lambda: ""
        )
        assert process.poll() is None
    finally:
        process.kill()
        process.wait()
