"""Training of the emotion classifier shipped in bot/emotion/model/ (`python -m tools.emotion_model train`)."""
