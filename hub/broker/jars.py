"""The Kafka runtime jars: fetched from Maven Central once per pom, then reused."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from hub.broker.assets import file_digest, kafka_version
from hub.broker.errors import MavenFetchError, MavenNotFoundError

MARKER = "FETCHED"
_MVN_TIMEOUT_S = 900
_OUTPUT_TAIL_LINES = 40
# Maven prints colour codes even in batch mode; they garble error messages.
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class JarCache:
    """A directory of jar sets, one per pom content, each complete once its marker exists.

    Keying the set by the pom's digest means a version bump fetches a fresh set beside the old
    one instead of mixing two Kafka versions on one classpath, and several checkouts or test
    sessions can share one cache.
    """

    def __init__(self, *, root: Path, pom: Path) -> None:
        self.root = root
        self.pom = pom
        self.kafka_version = kafka_version(pom)
        self._digest = file_digest(pom)

    @property
    def jar_dir(self) -> Path:
        """Where this pom's jars live once fetched."""
        return self.root / f"kafka-{self.kafka_version}-{self._digest[:12]}"

    @property
    def classpath(self) -> str:
        """The JVM classpath: every jar of the set."""
        return str(self.jar_dir / "*")

    def is_complete(self) -> bool:
        """Whether the marker matches this pom and every jar it lists is present."""
        try:
            lines = (self.jar_dir / MARKER).read_text(encoding="utf-8").splitlines()
        except OSError:
            return False
        header = {f"kafka.version={self.kafka_version}", f"pom.sha256={self._digest}"}
        jars = [line.removeprefix("jar=") for line in lines if line.startswith("jar=")]
        return (
            header <= set(lines)
            and bool(jars)
            and all((self.jar_dir / jar).is_file() for jar in jars)
        )

    def fetch(self) -> Path:
        """Fill the cache with `mvn dependency:copy-dependencies` unless it is complete."""
        if self.is_complete():
            return self.jar_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise MavenNotFoundError(self.jar_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        # Staged in the cache root so the final rename is atomic: a concurrent or interrupted
        # fetch never leaves a half-filled jar dir that looks complete.
        with tempfile.TemporaryDirectory(dir=self.root, prefix=".fetch-") as tmp:
            staging = Path(tmp) / "jars"
            staging.mkdir()
            # A copy of the pom, so Maven's target/ lands in the temp dir, not in deploy/.
            pom = Path(tmp) / "pom.xml"
            shutil.copyfile(self.pom, pom)
            self._run_mvn(mvn, pom, staging)
            jars = sorted(path.name for path in staging.glob("*.jar"))
            if not any(jar.startswith("kafka_2.13-") for jar in jars):
                raise MavenFetchError(0, f"mvn succeeded but copied no kafka_2.13 jar: {jars}")
            marker = [f"kafka.version={self.kafka_version}", f"pom.sha256={self._digest}"]
            marker += [f"jar={jar}" for jar in jars]
            (staging / MARKER).write_text("\n".join(marker) + "\n", encoding="utf-8")
            self._install(staging)
        return self.jar_dir

    def _run_mvn(self, mvn: str, pom: Path, output_dir: Path) -> None:
        command = [
            mvn,
            "-q",
            "-B",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={output_dir}",
            "-DincludeScope=runtime",
        ]
        try:
            result = subprocess.run(
                command,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=_MVN_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            output = _text(exc.stdout) + _text(exc.stderr)
            raise MavenFetchError(
                -1, f"timed out after {_MVN_TIMEOUT_S} s\n{tail(output)}"
            ) from exc
        if result.returncode != 0:
            raise MavenFetchError(result.returncode, tail(result.stdout + result.stderr))

    def _install(self, staging: Path) -> None:
        try:
            os.rename(staging, self.jar_dir)
        except OSError:
            if self.is_complete():  # another process finished the same fetch first
                return
            # A leftover incomplete set (e.g. a jar deleted by hand): replace it.
            shutil.rmtree(self.jar_dir)
            os.rename(staging, self.jar_dir)


def tail(text: str, lines: int = _OUTPUT_TAIL_LINES) -> str:
    """The last `lines` lines of a tool's output, for error messages."""
    kept = _ANSI_ESCAPE.sub("", text).rstrip().splitlines()[-lines:]
    return "\n".join(kept) if kept else "(no output)"


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""
