"""Signed liaison exports from a store: the bundle, its manifest, and ``fusionhub verify``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import stix2

from hub.exports import load_or_create_signing_key, public_key_pem, verify_export, write_export
from hub.exports.signing import ExportVerificationError, load_public_key
from hub.store import Store
from hub.store.collections import liaison_collection
from tests.store.stix import indicator, version_of

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def store(tmp_path: Path) -> Store:
    opened = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'store.db'}")
    await opened.ensure_collections([liaison_collection("nca"), liaison_collection("interpol")])
    nca = [version_of(indicator(n)) for n in range(3)]
    # A later version of object 0: the export carries the latest only.
    nca.append(version_of(indicator(0, "2026-11-21T08:00:00.000Z")))
    await opened.add_versions({liaison_collection("nca").id: nca})
    await opened.add_versions({liaison_collection("interpol").id: [version_of(indicator(7))]})
    return opened


def fusionhub(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FUSIONHUB_DATA_DIR": str(data_dir), "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_export_bundle_is_stix_and_verifies(store: Store, tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "state")
    assert (tmp_path / "state" / "export-signing.key").stat().st_mode & 0o777 == 0o600
    result = await write_export(store, "nca", tmp_path / "out", key)
    await store.close()
    assert result.objects == 3
    bundle = stix2.parse((tmp_path / "out" / "bundle.json").read_text(), allow_custom=True)
    assert isinstance(bundle, stix2.v21.Bundle)
    assert {o.id for o in bundle.objects} == {indicator(n)["id"] for n in range(3)}
    assert {str(o.modified)[:10] for o in bundle.objects if o.id == indicator(0)["id"]} == {
        "2026-11-21"
    }
    assert str(indicator(7)["id"]) not in (tmp_path / "out" / "bundle.json").read_text()
    assert set(verify_export(tmp_path / "out", key.public_key())) == {"bundle.json"}
    # The same key on the next use, not a new one.
    assert public_key_pem(load_or_create_signing_key(tmp_path / "state")) == public_key_pem(key)


async def test_verify_fails_on_a_changed_byte_or_a_wrong_key(store: Store, tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path / "state")
    await write_export(store, "nca", tmp_path / "out", key)
    await store.close()
    other = load_or_create_signing_key(tmp_path / "other")
    with pytest.raises(ExportVerificationError, match="wrong key"):
        verify_export(tmp_path / "out", other.public_key())
    bundle = tmp_path / "out" / "bundle.json"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    with pytest.raises(ExportVerificationError, match=r"bundle\.json: SHA-256"):
        verify_export(tmp_path / "out", key.public_key())


async def test_cli_export_verify_and_key(store: Store, tmp_path: Path) -> None:
    await store.close()
    state = tmp_path / "state"
    url = f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
    out = tmp_path / "nca-export"
    made = fusionhub(state, "export", "--to", "nca", "--out", str(out), "--store-url", url)
    assert made.returncode == 0, made.stderr
    assert "3 object(s)" in made.stdout
    printed = fusionhub(state, "export-key")
    assert printed.stdout.startswith("-----BEGIN PUBLIC KEY-----")
    pinned = tmp_path / "hub.pub"
    pinned.write_text(printed.stdout)
    load_public_key(pinned.read_bytes())
    ok = fusionhub(tmp_path / "agency", "verify", str(out), "--key", str(pinned))
    assert ok.returncode == 0, ok.stderr
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["objects"] = 4
    (out / "manifest.json").write_text(json.dumps(manifest))
    tampered = fusionhub(tmp_path / "agency", "verify", str(out), "--key", str(pinned))
    assert tampered.returncode == 1
    assert "does not match" in tampered.stderr
    since = fusionhub(
        state,
        "export",
        "--to",
        "nca",
        "--since",
        "2099-01-01T00:00:00Z",
        "--out",
        str(tmp_path / "empty"),
        "--store-url",
        url,
    )
    assert "0 object(s)" in since.stdout, since.stderr
