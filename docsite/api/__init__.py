"""The REST API (``/api/v1/``): token and session auth, one error format, OpenAPI schema.

It is the outermost layer: it may use ``classification`` and ``labeling``; neither imports it.
"""
