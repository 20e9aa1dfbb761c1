"""Errors a user can act on. Anything else is a bug and may show a traceback.

Every class carries the HTTP status the server answers with (``status``) and the exit status
of the ``sabi`` command (``exit_code``). The first line of each docstring is what the README's
exit-code table says about it (``sabi.cli_errors.exit_code_table`` builds that table, and a test
checks that the README matches it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


class SabiError(Exception):
    """Sabi could not do what was asked (the message says why)."""

    status = 500
    exit_code = 1


class ConfigError(SabiError):
    """The settings are invalid: a bad sabi.toml, SABI_* variable or option value."""

    exit_code = 3

    @classmethod
    def from_validation(cls, errors: Iterable[Mapping[str, Any]], where: str = "") -> ConfigError:
        """One readable line from pydantic's ``ValidationError.errors()``, naming each key.

        ``where`` says where the values came from (e.g. the settings file in use).
        """
        parts = []
        for e in errors:
            key = ".".join(str(x) for x in e.get("loc", ())) or "settings"
            if e.get("type") == "extra_forbidden":
                parts.append(f"unknown setting {key!r} (`sabi init` writes every setting)")
            else:
                msg = str(e.get("msg", "invalid")).removeprefix("Value error, ")
                parts.append(f"{key} = {e.get('input')!r}: {msg[:1].lower()}{msg[1:]}")
        suffix = f" (in {where})" if where else ""
        return cls("invalid settings: " + "; ".join(parts) + suffix)


class BadInput(SabiError):
    """The query or file given cannot be used (not an image, too large, empty, malformed)."""

    status = 400
    exit_code = 4


class NoInput(BadInput):
    status = 405


class TooLarge(BadInput):
    status = 413


class OverBudget(TooLarge):
    """A query needs more decoding (frames x pixels, or seconds) than one search may spend."""


class QueryCancelled(BadInput):
    """The search was called off (its client went away) while the query was being decoded."""


class VideoError(SabiError):
    """A video could not be opened or decoded."""

    exit_code = 4


class NotFound(SabiError):
    """What was named does not exist: a file or folder, an episode id, a show, a key."""

    status = 404
    exit_code = 5


class NoIndex(SabiError):
    """There is no index in the data directory (run `sabi index` first)."""

    status = 503
    exit_code = 6


class NothingToIndex(BadInput):
    """The paths given hold no video files."""

    exit_code = 7


class IndexBusy(SabiError):
    """Another process is writing to the same data directory."""

    status = 503
    exit_code = 8


class IndexMismatch(SabiError):
    """The data directory was made with other settings or a newer sabi than the ones in use."""

    status = 409
    exit_code = 9


class DescriptorMismatch(IndexMismatch):
    """The index was built with another descriptor than the one configured."""


class StoreMismatch(IndexMismatch, ValueError):
    """The vector store holds vectors of another shape than the descriptor makes."""


class PartlyFailed(SabiError):
    """Some files or episodes failed; the rest was done (the warnings above name them)."""

    exit_code = 10


class SourceError(SabiError):
    """A remote source failed (Bilibili's API, a download)."""

    status = 502
    exit_code = 11


class Interrupted(SabiError):
    """Interrupted (Ctrl-C); running the same command again resumes."""

    status = 503
    exit_code = 130


# Errors of the HTTP service


class Overloaded(SabiError):
    """Every worker of a pool is busy and its queue is full: refused at once, not queued."""

    status = 503


class BadToken(SabiError):
    """A preview link this server did not sign (or one that was changed)."""

    status = 403


class ExpiredToken(SabiError):
    """A preview link past its expiry; a new search hands out a fresh one."""

    status = 410


class PreviewMissing(SabiError):
    """The episode of a preview link, or its video file, is gone."""

    status = 404


class BadKey(SabiError):
    """An API key that is not valid, or an admin action without the admin key."""

    status = 403


class QuotaSpent(SabiError):
    """The caller's searches per 24 hours are used up."""

    status = 402


class RateLimited(SabiError):
    """Too many requests this minute. ``limit`` (requests a minute) and ``retry_after``
    (seconds) become the x-ratelimit-* and retry-after headers of the 429."""

    status = 429

    def __init__(self, message: str, retry_after: int, limit: int = 0):
        super().__init__(message)
        self.retry_after = retry_after
        self.limit = limit


class UrlRefused(BadInput):
    """A ?url= that points somewhere sabi will not fetch from."""


class GraphQLError(BadInput):
    """A GraphQL request sabi cannot answer (a syntax error, or a feature it lacks)."""
