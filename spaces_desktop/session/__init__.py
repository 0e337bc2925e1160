"""The client engine: its own asyncio thread, commands in, state snapshots and frames out."""
