"""Who is knocking: verified customer identity (signed tokens, signed web-chat sessions), conversation ids
namespaced by channel, and the secrets behind them. Plain Python: channels and actions call into it."""
