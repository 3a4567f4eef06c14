"""Channels of our own beside Rasa's REST and socket.io."""
