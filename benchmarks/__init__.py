"""Benchmarks: `make bench` writes benchmarks/reports/latest.md. Figures, never test assertions."""
