"""How an error reaches a person at the command line: one line on stderr and an exit status.

Every ``sabi`` command, its sub-command groups included, runs inside ``SabiGroup.invoke``, so no
command catches errors itself: it raises a ``SabiError`` subclass (sabi.errors), and this module
prints ``error: <message>`` and exits with that class's ``exit_code``. ``--debug`` (or
``SABI_DEBUG=1``) lets the exception through with its traceback instead.
"""

from __future__ import annotations

import inspect
import tomllib
from typing import Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from sabi import errors
from sabi.errors import ConfigError, Interrupted, NotFound, SabiError

USAGE = 2  # click's own status for a wrong command line
UNEXPECTED = 70  # sysexits.h EX_SOFTWARE: an internal error

_PASS_THROUGH = (typer.Exit, typer.Abort, typer.TyperException)


def as_sabi_error(exc: BaseException) -> BaseException:
    """The SabiError a person should see for ``exc``; ``exc`` itself when it is a bug."""
    if isinstance(exc, KeyboardInterrupt):
        return Interrupted("interrupted; run the same command again to resume")
    if isinstance(exc, ValidationError):  # a setting out of range in sabi.toml, SABI_*, a flag
        return ConfigError.from_validation(exc.errors())
    if isinstance(exc, tomllib.TOMLDecodeError):
        return ConfigError(f"the settings file is not valid TOML: {exc}")
    if isinstance(exc, FileNotFoundError):
        return NotFound(f"no such file or folder: {exc.filename or exc}")
    if isinstance(exc, OSError):  # permission denied, disk full: the system's own words
        where = f": {exc.filename}" if exc.filename else ""
        return SabiError(f"{exc.strerror or exc}{where}")
    return exc


def describe(exc: BaseException) -> tuple[str, int]:
    """The one-line message and the exit status for an exception that reached the CLI."""
    exc = as_sabi_error(exc)
    if isinstance(exc, SabiError):
        return str(exc), exc.exit_code
    text = " ".join(str(exc).split())
    return (
        f"unexpected {type(exc).__name__}{': ' + text if text else ''} "
        "(run with --debug for the traceback)",
        UNEXPECTED,
    )


def print_error(message: str, console: Console | None = None) -> None:
    console = console or Console(stderr=True)
    console.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)


class SabiGroup(TyperGroup):
    """The root ``sabi`` group: runs the chosen command and turns what it raises into a line."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _PASS_THROUGH:  # exits, usage errors: click reports those itself
            raise
        except BaseException as exc:
            if ctx.params.get("debug") or isinstance(exc, SystemExit | GeneratorExit):
                raise
            message, code = describe(exc)
            print_error(message)
            raise typer.Exit(code) from None


def _error_classes() -> list[type[SabiError]]:
    """SabiError and each class in sabi.errors that sets its own exit status, by status."""
    found = [
        cls
        for _, cls in inspect.getmembers(errors, inspect.isclass)
        if issubclass(cls, SabiError) and "exit_code" in vars(cls)
    ]
    return sorted(found, key=lambda c: (c.exit_code, len(c.__mro__)))


def _summary(cls: type) -> str:
    return (inspect.getdoc(cls) or "").splitlines()[0]


def exit_code_table() -> str:
    """The README's table of exit statuses, built from the classes themselves."""
    rows = [(0, "", "Success (also a search that found no scene: it prints `no match`).")]
    rows += [(USAGE, "", "Wrong command line: unknown option, missing argument (click's own).")]
    rows += [(c.exit_code, f"`{c.__name__}`", _summary(c)) for c in _error_classes()]
    rows += [
        (
            UNEXPECTED,
            "",
            "Unexpected error, a bug: `--debug` shows the traceback; please report it.",
        )
    ]
    rows.sort(key=lambda r: r[0])
    lines = ["| exit status | error class | meaning |", "|---|---|---|"]
    lines += [f"| {code} | {name} | {meaning} |" for code, name, meaning in rows]
    return "\n".join(lines) + "\n"
