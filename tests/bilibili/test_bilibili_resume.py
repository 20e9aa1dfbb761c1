"""A download killed with SIGKILL resumes from its byte offset on the next run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from sabi.cli import app


def test_killed_download_resumes_from_its_byte_offset(bili_env, fake):
    (bili_env / "sabi.toml").write_text('[bilibili]\nqueue = { season_id = [["bunny", 425]] }\n')
    fake.throttle = 150_000  # bytes/s: ep 1's video takes ~10 s
    part = bili_env / "data/bilibili/.partial/ep1001/dash-64-avc-video.m4s.part"
    proc = subprocess.Popen(
        [sys.executable, "-m", "sabi.cli", "download", "bilibili", "-q"],
        cwd=bili_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not (part.exists() and part.stat().st_size > 200_000):
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the download never started"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    offset = part.stat().st_size
    video = fake.seasons[425].episodes[0].files["video"].read_bytes()
    assert 200_000 < offset < len(video)
    assert part.read_bytes() == video[:offset]  # every byte kept is right

    fake.throttle = None
    before = len(fake.log)
    r = CliRunner().invoke(app, ["download", "bilibili", "-q"])
    assert r.exit_code == 0, r.output
    again = [x for x in fake.log[before:] if x["path"].endswith("/10010-video.m4s")]
    assert [x["range"] for x in again] == [f"bytes={offset}-"]
    assert not part.exists() and not Path(part.parent).exists()
    assert "indexed 2" in r.output
