"""The broker's files under deploy/kafka/ and what the launcher derives from them."""

from __future__ import annotations

import base64
import hashlib
import uuid
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from string import Template

_POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def project_root() -> Path:
    """The repository checkout this package runs from, else the working directory.

    Default state and jar-cache paths live under it, so every command run from anywhere in
    the checkout agrees on one broker.
    """
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else Path.cwd()


def assets_dir() -> Path:
    """deploy/kafka/: the pom, the log4j2 config and the server.properties template."""
    return project_root() / "deploy" / "kafka"


def kafka_version(pom: Path) -> str:
    """The `kafka.version` property of the runtime pom, the one place the version is pinned."""
    node = ElementTree.parse(pom).find("m:properties/m:kafka.version", _POM_NS)
    if node is None or not (node.text or "").strip():
        raise ValueError(f"{pom} has no <properties><kafka.version>.")
    return (node.text or "").strip()


def file_digest(path: Path) -> str:
    """Hex SHA-256 of a file, to notice that the pom changed since the jars were fetched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def new_cluster_id() -> str:
    """A KRaft cluster id: the 16 bytes of a random UUID, base64url without '=' padding."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")


def render_server_properties(
    template: Path, *, port: int, controller_port: int, log_dir: Path
) -> str:
    """server.properties for a single combined node listening on 127.0.0.1 only."""
    return Template(template.read_text(encoding="utf-8")).substitute(
        port=port, controller_port=controller_port, log_dirs=str(log_dir)
    )
