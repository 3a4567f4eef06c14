"""Customer-service assistant: plain Python services behind a Rasa 3.6 assistant."""
