"""Pipelines that wire the packages together (one module per user job)."""
