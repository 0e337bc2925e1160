"""Request, response and event models shared by the client and the backend (no I/O)."""
