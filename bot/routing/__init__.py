"""Where a customer's message goes before the dialogue rules see it: a question to the knowledge base,
a yes/no only after the bot asked one, garbled text to the fallback, a feeling answered as a feeling.

Plain Python; `bot.rasa.routing_policy` is the Rasa adapter."""
