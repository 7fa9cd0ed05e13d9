"""Admit: parse and validate partner data, apply the inbound protocol, key it canonically."""
