"""Correlate: merge every partner's contributions about one observable."""
