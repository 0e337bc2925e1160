"""Benchmarks of the real app code paths: `spaces-desktop bench NAME`."""
