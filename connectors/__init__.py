"""Partner connectors: one module per feed kind, each one class on ``base.py``.

``registry.py`` lists them by name; ``schedule.py`` runs them inside ``fusionhub run``.
"""
