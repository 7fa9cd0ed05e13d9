"""The ``fusionhub`` command line."""
