"""The hub's Ed25519 export-signing key, detached signatures, and checking an export.

The key is made on first use in ``<data_dir>/export-signing.key`` (PKCS#8 PEM, mode 0600);
an agency pins its public part (``fusionhub export-key``) and checks every export against
it, so a copied or edited export directory cannot pass for one the hub wrote.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

KEY_FILE = "export-signing.key"
MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.sig"


class ExportVerificationError(Exception):
    """An export does not check out: the reason says which file and what is wrong."""


def load_or_create_signing_key(data_dir: Path) -> Ed25519PrivateKey:
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # O_EXCL: two exports starting at once must not each write (and sign with) a key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise ExportVerificationError(f"{path} holds no Ed25519 private key")
    return loaded


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_key(pem: bytes) -> Ed25519PublicKey:
    try:
        loaded = serialization.load_pem_public_key(pem)
    except ValueError as exc:
        raise ExportVerificationError(f"not a PEM public key: {exc}") from None
    if not isinstance(loaded, Ed25519PublicKey):
        raise ExportVerificationError("the public key is not an Ed25519 key")
    return loaded


def key_fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sign_manifest(directory: Path, key: Ed25519PrivateKey) -> None:
    signature = key.sign((directory / MANIFEST).read_bytes())
    (directory / SIGNATURE).write_bytes(base64.b64encode(signature) + b"\n")


def verify_export(directory: Path, public_key: Ed25519PublicKey) -> dict[str, str]:
    """Check the manifest's signature, then every file's SHA-256; returns the files checked."""
    manifest_path, signature_path = directory / MANIFEST, directory / SIGNATURE
    for path in (manifest_path, signature_path):
        if not path.is_file():
            raise ExportVerificationError(f"{path} is missing")
    manifest_bytes = manifest_path.read_bytes()
    try:
        signature = base64.b64decode(signature_path.read_bytes().strip(), validate=True)
    except ValueError:
        raise ExportVerificationError(f"{signature_path} is not base64") from None
    try:
        public_key.verify(signature, manifest_bytes)
    except InvalidSignature:
        raise ExportVerificationError(
            f"the signature in {signature_path} does not match {manifest_path} under key "
            f"{key_fingerprint(public_key)}: wrong key, or the manifest was changed"
        ) from None
    manifest = orjson.loads(manifest_bytes)
    files: dict[str, str] = manifest.get("files", {})
    if not files:
        raise ExportVerificationError(f"{manifest_path} lists no files")
    for name, expected in files.items():
        path = directory / name
        if Path(name).name != name or not path.is_file():
            raise ExportVerificationError(f"{name} is listed in the manifest but missing")
        actual = sha256_file(path)
        if actual != expected:
            raise ExportVerificationError(
                f"{name}: SHA-256 {actual} does not match the manifest's {expected}"
            )
    return files
