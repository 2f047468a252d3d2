"""Benchmarks, run as ``uv run python -m bench.<name>``; see bench/README.md."""
