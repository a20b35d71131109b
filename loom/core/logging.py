"""JSON log lines through structlog, each carrying the request id and acting user."""

from __future__ import annotations

import logging
from typing import Any

import structlog

from loom.core.context import acting_user_var, request_id_var


def _add_context(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    request_id = request_id_var.get()
    if not request_id:
        # Django's own request loggers pass the request along with the record; use its
        # id when the line is written outside the request's context (e.g. in a thread).
        request = getattr(event.get("_record"), "request", None)
        request_id = getattr(request, "request_id", "")
    if request_id:
        event.setdefault("request_id", request_id)
    user = acting_user_var.get()
    if user:
        event.setdefault("user", user)
    return event


PRE_CHAIN: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    _add_context,
]


class JsonFormatter(structlog.stdlib.ProcessorFormatter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
            foreign_pre_chain=PRE_CHAIN,
        )


structlog.configure(
    processors=[*PRE_CHAIN, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
    logger_factory=structlog.stdlib.LoggerFactory(),
    wrapper_class=structlog.stdlib.BoundLogger,
    cache_logger_on_first_use=True,
)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)


logging.captureWarnings(True)
