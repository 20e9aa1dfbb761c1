"""Keep API keys out of the access log: uvicorn logs each request's path with its query, and
trace.moe clients send their key as ``?key=``."""

from __future__ import annotations

import logging
import re

KEY_IN_QUERY = re.compile(r"([?&]key=)[^&#\s]*", re.IGNORECASE)
ACCESS_LOGGER = "uvicorn.access"


def redact(text: str) -> str:
    """``text`` with the value of every ``key=`` query parameter replaced by ``***``."""
    return KEY_IN_QUERY.sub(r"\1***", text)


class RedactKeys(logging.Filter):
    """Rewrites uvicorn's access records (args: client, method, path+query, version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger (once; dictConfig keeps logger filters)."""
    logger = logging.getLogger(ACCESS_LOGGER)
    if not any(isinstance(f, RedactKeys) for f in logger.filters):
        logger.addFilter(RedactKeys())
