"""Helpers for the test suite: network namespace, backend process, aiortc peers."""
