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
