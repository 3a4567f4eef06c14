"""Complaints: validation, severity and SLA, tickets that are never lost or duplicated."""
