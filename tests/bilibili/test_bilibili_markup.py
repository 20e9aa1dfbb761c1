"""Text from Bilibili and the settings is printed as it is, brackets and all: Rich must not read
"[Oshi no Ko]" or "[tag, id]" as markup and drop it (issue 11)."""

from __future__ import annotations

import io

from rich.console import Console
from typer.testing import CliRunner

from sabi.acquire.bilibili.progress import RichUI
from sabi.cli import app

SHOW = "[Oshi no Ko] [bold]2nd[/bold]"
REASON = "[bilibili] refused: a queue entry is [tag, id] or an id"


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_status_table_keeps_brackets_in_shows_tags_and_reasons(bili_env, fake, monkeypatch):
    monkeypatch.setattr("sabi.acquire.bilibili.cli.out", Console(width=400))  # one line a row
    fake.seasons[426].title = SHOW
    fake.answers["/pgc/player/web/playurl"] = {"code": -400, "message": REASON}
    cli = CliRunner()
    r = cli.invoke(app, ["download", "bilibili", "--ep", "2001", "--tag", "[red]t[/red]"])
    assert REASON in _flat(r.output)  # the note printed as it happened
    table = _flat(cli.invoke(app, ["download", "status"]).stdout)
    assert SHOW in table and "[red]t[/red]" in table
    assert "[tag, id]" in table and "[bilibili]" in table


def test_progress_bars_keep_brackets_in_labels():
    ui = RichUI(Console(file=io.StringIO(), width=300))
    ui.start("k", f"{SHOW} 1 video", 100, 10)
    ui.indexing(f"{SHOW} 1").begin(1, 10.0)
    shown = io.StringIO()
    view = Console(file=shown, width=300)
    view.print(ui.files)
    view.print(ui.work)
    text = shown.getvalue()
    assert f"{SHOW} 1 video" in text and f"index {SHOW} 1" in text
