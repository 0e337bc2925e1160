"""The Spaces backend: roles, authorization, persistence and signaling relayed to Janus VideoRoom."""
