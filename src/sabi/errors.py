"""Errors a user can act on. Anything else is a bug and may show a traceback."""

from __future__ import annotations


class SabiError(Exception):
    """Base class: the message is meant for a person, not a stack trace."""

    status = 500


class BadInput(SabiError):
    """The query or file given cannot be used (not an image, too large, empty...)."""

    status = 400


class NoInput(BadInput):
    status = 405


class TooLarge(BadInput):
    status = 413


class VideoError(SabiError):
    """A video could not be opened or decoded."""


class DescriptorMismatch(SabiError):
    """The index was built with another descriptor than the one configured."""

    status = 409


class IndexBusy(SabiError):
    """Another process is writing to the same data directory."""

    status = 503


class StoreMismatch(SabiError, ValueError):
    """The vector store holds vectors of another shape than the descriptor makes."""

    status = 409


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
