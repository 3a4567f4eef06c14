"""The web server the run command starts beside Rasa: the store page with the website chat, and the agent console."""
