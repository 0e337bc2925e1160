"""The backend's REST API and event stream; the only package that uses httpx."""
