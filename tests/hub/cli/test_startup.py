"""The CLI starts without the API's stack: `fusionhub tail`, `lookup` or `rejected list`
should not wait for FastAPI, SQLAlchemy and the store to load (they did: 2.3 s a command
here, against 0.7 s without them). `fusionhub serve` imports them when it runs."""

from __future__ import annotations

import subprocess
import sys


def test_the_cli_loads_no_api_stack_until_serve_runs() -> None:
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, hub.cli.main; "
            "print(' '.join(m for m in ('fastapi', 'sqlalchemy', 'uvicorn', 'hub.api', "
            "'hub.store') if m in sys.modules))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert loaded.stdout.strip() == ""
