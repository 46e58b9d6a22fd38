"""legato.api: the REST API (FastAPI), Kestra-compatible paths and fields. `create_app(store)` builds it."""

from legato.api.app import create_app

__all__ = ["create_app"]
