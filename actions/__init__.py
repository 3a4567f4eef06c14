"""Rasa custom actions: thin adapters that call the services in `bot/`."""
