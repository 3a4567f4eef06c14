"""Persistence: one SQLAlchemy database for our records and Rasa's tracker store."""
