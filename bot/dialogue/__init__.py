"""Rasa dialogue components of our own (kept thin: the logic lives in plain modules)."""
