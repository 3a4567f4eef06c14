"""Plain text helpers used by several concerns (language detection); below NLU, emotion and the knowledge base."""
