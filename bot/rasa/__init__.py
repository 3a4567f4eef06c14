"""The boundary around Rasa: our policies, NLU components, tracker store, the client of Rasa's HTTP API
and the reader of stored conversations. A Rasa upgrade touches this folder; nothing below it imports Rasa."""
