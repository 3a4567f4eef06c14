"""State that every replica of a kind must share (issue #13): rate windows, the console's sign-in throttle,
WeChat's access token, socket.io's messages between replicas. In the embedded default each lives in the
process's memory, as one process of each kind needs; in cluster mode (BOT_REDIS_URL) in Redis. Callers get
their implementation from `bot.shared_state.factory` and see one interface either way."""
