"""Every connector kind by name, and the decoders the admit stage needs from them.

Adding a feed kind is adding its module and one line here (and its settings model in
``schemas/connectors.py``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from connectors.av_hashes import AvHashConnector
from connectors.base import Connector
from connectors.isp_csv import IspCsvConnector
from connectors.misp import MispConnector
from connectors.taxii import TaxiiConnector
from hub.admit.admission import Decoder
from schemas.connectors import AnyConnectorSettings

CONNECTORS: dict[str, type[Connector[Any]]] = {
    connector.kind: connector
    for connector in (TaxiiConnector, IspCsvConnector, MispConnector, AvHashConnector)
}


def connector_class(kind: str) -> type[Connector[Any]]:
    try:
        return CONNECTORS[kind]
    except KeyError:
        raise KeyError(
            f"no connector of kind {kind!r}; the kinds are {', '.join(sorted(CONNECTORS))}"
        ) from None


def connector_for(
    partner: str, settings: AnyConnectorSettings, *, base_dir: Path = Path()
) -> Connector[Any]:
    """The connector that runs ``settings`` for ``partner``."""
    return connector_class(settings.kind)(partner, settings, base_dir=base_dir)


def decoders() -> dict[str, Decoder]:
    """Ingest-record format -> decoder, for the connectors whose feeds are not STIX."""
    return {cls.format: cls.decode for cls in CONNECTORS.values() if cls.format != "stix"}
