"""``python -m hub`` is the ``fusionhub`` command."""

from hub.cli.main import main

main()
