"""Service metrics (issue #14): how well customers are served, for a period and filters, from our records and
Rasa's events. One module per group of figures, each figure's definition written next to it
(`bot.metrics.definitions`); `bot.metrics.report.ServiceMetrics` computes them all for the console's metrics
page and for `python -m bot report`."""
