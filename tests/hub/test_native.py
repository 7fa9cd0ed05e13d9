"""hub/native.py: which extensions are built, and refusing those older than their source."""

from __future__ import annotations

import importlib.machinery
import os
from pathlib import Path

from hub import native

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


def _tree(root: Path, *, built: bool, source_newer: bool = False) -> Path:
    """A checkout with every native module's source and, if built, its extension."""
    for module in native.NATIVE_MODULES:
        source = native.source_of(module, root)
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text("")
        os.utime(source, (1_000, 1_000))
        if built:
            extension = source.with_suffix(SUFFIX)
            extension.write_bytes(b"")
            os.utime(extension, (2_000, 2_000))
    if source_newer:
        os.utime(native.source_of("hub.canonical", root), (3_000, 3_000))
    return root


def test_a_fresh_build_is_not_stale(tmp_path: Path) -> None:
    root = _tree(tmp_path, built=True)
    assert native.stale_extensions(root) == []
    assert len(native.built_extensions(root)) == len(native.NATIVE_MODULES)


def test_a_source_edited_after_the_build_is_named_stale(tmp_path: Path) -> None:
    root = _tree(tmp_path, built=True, source_newer=True)
    assert native.stale_extensions(root) == ["hub.canonical"]


def test_plain_python_without_extensions_is_never_stale(tmp_path: Path) -> None:
    root = _tree(tmp_path, built=False, source_newer=True)
    assert native.stale_extensions(root) == []
    assert native.built_extensions(root) == []
    assert native.extension_of("hub.canonical", root) is None


def test_describe_says_what_this_interpreter_loads() -> None:
    compiled = native.compiled_modules()
    line = native.describe()
    if compiled:
        assert f"{len(compiled)} of {len(native.NATIVE_MODULES)} modules compiled" in line
    else:
        assert "pure Python" in line
