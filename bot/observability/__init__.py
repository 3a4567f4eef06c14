"""Logging that carries conversation ids and never shows a customer's personal data."""
