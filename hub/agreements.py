"""The partners' agreements as the running hub sees them: reloaded when the files change."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

from schemas.agreement import AgreementError, PartnerAgreement, load_agreements


class AgreementBook:
    """Agreements from a directory, re-read when a file changes, without a restart.

    A changed file that no longer validates is reported and ignored: the hub keeps the
    agreements it had, rather than running without any.
    """

    def __init__(self, directory: Path, *, check_every_s: float = 2.0) -> None:
        self.directory = directory
        self.check_every_s = check_every_s
        self._agreements: dict[str, PartnerAgreement] = load_agreements(directory)
        self._stamp = self._fingerprint()
        self._checked = time.monotonic()
        self.last_error: AgreementError | None = None

    def _fingerprint(self) -> tuple[tuple[str, int], ...]:
        return tuple(
            (path.name, path.stat().st_mtime_ns) for path in sorted(self.directory.glob("*.yaml"))
        )

    def current(self) -> Mapping[str, PartnerAgreement]:
        now = time.monotonic()
        if now - self._checked >= self.check_every_s:
            self._checked = now
            stamp = self._fingerprint()
            if stamp != self._stamp:
                self._stamp = stamp
                try:
                    self._agreements = load_agreements(self.directory)
                    self.last_error = None
                except AgreementError as exc:
                    self.last_error = exc
        return self._agreements
