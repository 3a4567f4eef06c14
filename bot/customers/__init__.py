"""Customers, their channel identities and their orders."""
