"""Integrations with other tools (Optuna first)."""

__all__: list[str] = []
