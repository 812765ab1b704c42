"""The web registry: a FastAPI application (pages and the REST API) on the clinical store."""
