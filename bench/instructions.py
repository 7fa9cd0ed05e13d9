"""Benchmark: CPU instructions per indicator through the stages, a baseline commit beside HEAD.

Timings on this machine moved by ±30 % between runs of the same code on some days; the
number of instructions a piece of work executes hardly moves (well under 1 % here). This
bench counts them with valgrind's callgrind: the three stages (admit, correlate,
disseminate, with the outbox's record batches) run in one process on a real outbox and
broker (``bench/stages_driver.py``), and only the measured loops are counted
(``--instr-atstart=no``, switched on and off with ``callgrind_control``). The baseline is
checked out into a temporary worktree and compiled as the working tree is; both run against
the same broker, alternating.

    python bench/instructions.py [--baseline REF] [--indicators 1000] [--loops 2] [--rounds 1]
                                 [--keep DIR]

Needs valgrind (``apt-get install valgrind``); a run takes a few minutes, most of it the
baseline's mypyc build and valgrind's slowdown (about 50x). The figure is not a time: an
instruction of memcpy moves many bytes, one of the interpreter's dispatch few.

The last line is machine-readable:
``instructions baseline=N head=N ratio=R`` (per indicator; ratio = head / baseline).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.harness import kafka_node  # noqa: E402
from hub.native import stale_extensions  # noqa: E402

DRIVER = ROOT / "bench" / "stages_driver.py"


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def build_native(repo: Path) -> None:
    """Compile ``repo``'s hot path with this interpreter, as ``make native`` does."""
    subprocess.run(
        ["scripts/build-native"],
        cwd=repo,
        env={**os.environ, "PY": sys.executable},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def count(repo: Path, bootstrap: str, workdir: Path, out: Path, indicators: int, loops: int) -> int:
    """Instructions per indicator of ``repo``'s stages over ``loops`` measured loops; the
    profile goes to ``out`` (``callgrind_annotate`` reads it)."""
    flags = str(workdir / f"flags{time.monotonic_ns()}")
    log = (workdir / "driver.log").open("ab")
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out}",
        sys.executable,
        str(DRIVER),
        str(repo),
        bootstrap,
        flags,
        str(indicators),
        str(loops),
    ]
    driver = subprocess.Popen(command, cwd=repo, stdout=log, stderr=subprocess.STDOUT)
    try:
        until(Path(f"{flags}.ready"), driver, workdir)
        control(driver.pid, "on")
        Path(f"{flags}.go").touch()
        until(Path(f"{flags}.done"), driver, workdir)
        control(driver.pid, "off")
        Path(f"{flags}.end").touch()
        if driver.wait(timeout=600) != 0:
            raise SystemExit(f"the stages driver failed; see {workdir / 'driver.log'}")
    finally:
        if driver.poll() is None:
            driver.kill()
    totals = [line for line in out.read_text().splitlines() if line.startswith("totals:")]
    if not totals:
        raise SystemExit(f"callgrind wrote no totals to {out}")
    return int(totals[0].split()[1]) // (indicators * loops)


def until(flag: Path, driver: subprocess.Popen[bytes], workdir: Path) -> None:
    while not flag.exists():
        if driver.poll() is not None:
            tail = (workdir / "driver.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"the stages driver stopped early:\n{tail}")
        time.sleep(0.2)


def control(pid: int, state: str) -> None:
    subprocess.run(
        ["callgrind_control", "-i", state, str(pid)],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", default="HEAD~1", help="commit to compare against")
    parser.add_argument("--indicators", type=int, default=1000, help="per measured loop")
    parser.add_argument("--loops", type=int, default=2, help="measured loops per count")
    parser.add_argument("--rounds", type=int, default=1, help="baseline/HEAD pairs")
    parser.add_argument(
        "--keep", type=Path, help="keep the callgrind profiles here (for callgrind_annotate)"
    )
    args = parser.parse_args()
    if args.keep is not None:
        args.keep = args.keep.resolve()
        args.keep.mkdir(parents=True, exist_ok=True)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed: apt-get install valgrind")
    if stale_extensions():
        build_native(ROOT)
    baseline = git("rev-parse", "--short", args.baseline)
    head = git("rev-parse", "--short", "HEAD")
    dirty = (
        " (with uncommitted changes)"
        if git("status", "--porcelain", "--untracked-files=no")
        else ""
    )
    with tempfile.TemporaryDirectory(prefix="instructions-") as tmp:
        workdir = Path(tmp)
        checkout = workdir / "baseline"
        git("worktree", "add", "--detach", str(checkout), baseline)
        try:
            print(f"building the baseline {baseline} (mypyc) ...", flush=True)
            build_native(checkout)
            figures: dict[str, list[int]] = {"baseline": [], "head": []}
            with kafka_node(workdir / "broker") as broker:
                for round_ in range(1, args.rounds + 1):
                    pair = [("baseline", checkout), ("head", ROOT)]
                    # Each goes first in every other round: a residue of one run in the
                    # broker (caches, its JIT) must not always favour the same side.
                    for name, repo in pair if round_ % 2 else pair[::-1]:
                        out = (args.keep or workdir) / f"callgrind.{name}.{round_}"
                        n = count(repo, broker.bootstrap, workdir, out, args.indicators, args.loops)
                        figures[name].append(n)
                        label = baseline if name == "baseline" else f"{head}{dirty}"
                        print(f"round {round_}: {name} {label}: {n:,} instructions an indicator")
        finally:
            git("worktree", "remove", "--force", str(checkout))
    base, new = min(figures["baseline"]), min(figures["head"])
    print(f"instructions baseline={base} head={new} ratio={new / base:.3f}")


if __name__ == "__main__":
    main()
