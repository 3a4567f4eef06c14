"""How upset a customer is, from what they write: calm, upset or angry, with a score."""
