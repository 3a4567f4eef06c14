"""Trains the knowledge base's term-translation model from public paraphrase pairs (`python -m tools.faq_model train`)."""
