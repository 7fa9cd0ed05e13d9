"""The hot path's modules compiled to C with mypyc, and whether this process runs them so.

The stages' own Python is most of a worker's CPU per indicator (README, "Measured
performance"). mypyc compiles these modules from the same source, typed as `mypy --strict`
checks it, into extension modules that sit beside their ``.py`` files; Python imports the
extension first. `make native` builds them (``scripts/build-native``), `make pure` removes
them, and a module without its extension runs as plain Python, unchanged.

Left out on purpose:
- modules that subclass classes of uncompiled libraries (the pattern grammar's listener in
  schemas.stix.pattern_grammar, Kafka's rebalance listener in hub.worker), which mypyc
  compiled wrongly (the pattern walk failed);
- hub.admit.warninglists: compiled, its index build failed in some test workers, never
  alone, with "SystemError: ... returned a result with an exception set" over a
  KeyError('match') that nothing in it raises; not understood, so it stays Python;
- modules off the hot path, which would gain nothing.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from pathlib import Path

# Dotted names; setup.py compiles exactly these.
NATIVE_MODULES: tuple[str, ...] = (
    "hub.canonical",
    "hub.partitioner",
    "hub.timestamps",
    "hub.admit.admission",
    "hub.admit.crime_codes",
    "hub.admit.stage",
    "hub.correlate.confidence",
    "hub.correlate.dues",
    "hub.correlate.merge",
    "hub.correlate.stage",
    "hub.disseminate.audiences",
    "hub.disseminate.stage",
    "hub.disseminate.views",
    "hub.record_batches",
    "hub.streams",
    "protocols.audience",
    "protocols.decision",
    "protocols.pii",
    "protocols.redaction",
    "protocols.rules",
    "protocols.tlp",
    "schemas.envelopes",
    "schemas.merge",
    "schemas.stix.fast",
    "schemas.stix.kinds",
    "schemas.stix.observables",
    "schemas.stix.patterning",
    "schemas.stix.primitives",
    "schemas.stix.rules",
    "schemas.stix.structures",
    "schemas.stix.validate",
    "schemas.stix.violation",
)

# mypyc's group of these modules, and the one shared library that holds their compiled code
# (mypyc names it after the group); each module's own extension is a small shim that loads it.
NATIVE_GROUP = "hub._hot_path"
NATIVE_LIBRARY = f"{NATIVE_GROUP}__mypyc"

ROOT = Path(__file__).resolve().parent.parent


def source_of(module: str, root: Path = ROOT) -> Path:
    return root.joinpath(*module.split(".")).with_suffix(".py")


def extension_of(module: str, root: Path = ROOT) -> Path | None:
    """The built extension beside the module's source, if there is one."""
    source = source_of(module, root)
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        candidate = source.with_suffix(suffix)
        if candidate.exists():
            return candidate
    return None


def built_extensions(root: Path = ROOT) -> list[Path]:
    """Every extension file built here, the shared library included."""
    modules = (*NATIVE_MODULES, NATIVE_LIBRARY)
    return [path for module in modules if (path := extension_of(module, root)) is not None]


def stale_extensions(root: Path = ROOT) -> list[str]:
    """Modules whose extension is older than their source: Python would run the old code."""
    stale = []
    for module in NATIVE_MODULES:
        extension = extension_of(module, root)
        if (
            extension is not None
            and extension.stat().st_mtime < source_of(module, root).stat().st_mtime
        ):
            stale.append(module)
    return stale


def compiled_modules() -> list[str]:
    """Which of the native modules this interpreter would load (or has loaded) compiled."""
    compiled = []
    for module in NATIVE_MODULES:
        spec = importlib.util.find_spec(module)
        if spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            compiled.append(module)
    return compiled


def describe() -> str:
    """One line for logs and benches: how much of the hot path runs compiled."""
    compiled = compiled_modules()
    if not compiled:
        return "hot path: pure Python (no mypyc extensions built; `make native` builds them)"
    return f"hot path: {len(compiled)} of {len(NATIVE_MODULES)} modules compiled with mypyc"
