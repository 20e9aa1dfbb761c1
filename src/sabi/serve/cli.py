"""``sabi keys``: API keys for the HTTP server (the server reads them from the same database)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from sabi.app import Sabi
from sabi.errors import NotFound
from sabi.serve.keys import KeyStore

app = typer.Typer(help="API keys for `sabi serve`.", no_args_is_help=True)
out = Console()
err = Console(stderr=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="Settings file.")]
DataDirOpt = Annotated[Path | None, typer.Option("--data-dir", "-d", help="Data directory.")]


def _keys(
    config: Path | None, data_dir: Path | None, create: bool = False
) -> tuple[Sabi, KeyStore]:
    sabi = Sabi.open(config, data_dir=data_dir, create=create)
    return sabi, KeyStore(sabi.catalog)


@app.command("create")
def create(
    name: Annotated[str, typer.Option(help="Who the key is for.")] = "key",
    quota: Annotated[
        int | None, typer.Option(help="Searches per 24 hours (default: setting key_quota).")
    ] = None,
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Make a key. It is printed once; only its hash is stored."""
    sabi, keys = _keys(config, data_dir, create=True)
    with sabi:
        info, secret = keys.create(name, sabi.settings.key_quota if quota is None else quota)
    err.print(f"key #{info.id} for {info.name!r}, {info.quota} searches per 24 h:")
    print(secret)


@app.command("list")
def list_keys(config: ConfigOpt = None, data_dir: DataDirOpt = None) -> None:
    """Keys with their quota and use over the last 24 hours."""
    sabi, keys = _keys(config, data_dir)
    with sabi:
        rows = [(k, keys.used(k.id)) for k in keys.list()]
    if not rows:
        out.print("no keys (make one with `sabi keys create --quota N`)")
    for k, used in rows:
        state = " revoked" if k.revoked else ""
        out.print(
            f"#{k.id} {k.prefix}… {k.name!r}: {used}/{k.quota} in 24 h{state}", highlight=False
        )


@app.command("revoke")
def revoke(
    key_id: Annotated[int, typer.Argument(help="The key's number (see `sabi keys list`).")],
    config: ConfigOpt = None,
    data_dir: DataDirOpt = None,
) -> None:
    """Stop a key from working."""
    sabi, keys = _keys(config, data_dir)
    with sabi:
        ok = keys.revoke(key_id)
    if not ok:
        raise NotFound(f"no active key #{key_id}")
    out.print(f"revoked key #{key_id}")
