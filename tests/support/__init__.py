"""Test helpers shared across test packages: real brokers, a fault proxy, polling."""
