"""Spaces, participants, roles and permissions: pure Python, no Qt, no I/O."""
