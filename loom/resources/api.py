"""The resources API (/api/v1/resources/): list, detail, upload, share and progress.

Thin: each operation parses, calls one service or selector, and returns a schema.
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["resources"])
