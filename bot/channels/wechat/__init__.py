"""The WeChat Official Account channel: protocol, API client, inbox and the Rasa input channel."""
