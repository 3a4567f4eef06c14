"""Running the assistant: training, child processes, endpoints."""
