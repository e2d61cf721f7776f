"""Endpoint discovery: what an app serves and how to call it, read from the OpenAPI
(and AsyncAPI) documents fal apps publish. See docs/discovery.md.

Pure parts (`openapi`, `asyncapi`, `refs`, `example`, `validate`) take dicts and give
dataclasses; only `fetch` does I/O.
"""
