"""Language handling for the NLU pipeline: tokenization and language detection."""
