"""The web page in a real browser (Debian's Chromium, headless, driven by Playwright)."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from conftest import BUNNY
from media import screenshot

CHROMIUM = os.environ.get("SABI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot.png"

if not Path(CHROMIUM).exists():
    if os.environ.get("SABI_REQUIRE_BROWSER") == "1":  # CI installs it: missing is a failure
        raise RuntimeError(f"no Chromium at {CHROMIUM}; run scripts/install_browser.sh")
    pytestmark = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (scripts/install_browser.sh)")


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.goto(server.url + "/")
    yield pg
    context.close()


def _first_card(page):
    page.wait_for_selector(".card", timeout=60_000)
    return page.locator(".card").first


def test_upload_finds_the_episode_and_time(page, tmp_path, bunny_frame):
    t, jpeg = bunny_frame
    shot = tmp_path / "screenshot.jpg"
    shot.write_bytes(jpeg)
    page.set_input_files("#file", str(shot))
    card = _first_card(page)
    assert card.locator(".title").inner_text() == BUNNY
    assert card.locator(".episode").inner_text() == "Episode 1"
    start, _, end = card.locator(".range").inner_text().partition(" – ")
    to_s = lambda clock: int(clock[:2]) * 60 + int(clock[3:5])  # noqa: E731
    assert to_s(start) <= t <= to_s(end[:5]) + 1
    assert "%" in card.locator(".sim-text").inner_text()
    assert page.locator("#query-thumb").is_visible()


def test_paste_searches(page, bunny_frame):
    data = base64.b64encode(bunny_frame[1]).decode()
    page.evaluate(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const dt = new DataTransfer();
            dt.items.add(new File([bytes], "clip.jpg", { type: "image/jpeg" }));
            document.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true }));
        }""",
        data,
    )
    assert _first_card(page).locator(".title").inner_text() == BUNNY


def test_a_non_image_shows_a_readable_error(page, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("this is not a picture")
    page.set_input_files("#file", str(notes))
    page.wait_for_selector("#error:not([hidden])", timeout=30_000)
    text = page.locator("#error").inner_text()
    assert "can't be searched" in text
    assert "not an image" in text.lower()
    assert page.locator(".card").count() == 0


def test_phone_sized_screen(browser, server, bunny_frame, tmp_path):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    pg = context.new_page()
    pg.goto(server.url + "/")
    shot = tmp_path / "q.jpg"
    shot.write_bytes(bunny_frame[1])
    pg.set_input_files("#file", str(shot))
    _first_card(pg)
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    context.close()


def test_result_page_screenshot(page, tmp_path, bunny_frame):
    """Saved for the README when SABI_SAVE_SCREENSHOT=1 (docs/screenshot.png)."""
    shot = tmp_path / "query.jpg"
    shot.write_bytes(bunny_frame[1])
    page.set_input_files("#file", str(shot))
    _first_card(page)
    page.wait_for_selector(".card video.playing", timeout=60_000)
    page.wait_for_timeout(600)  # let the clips fade in (a picture, not an assertion)
    out = tmp_path / "screenshot.png"
    page.screenshot(path=str(out), full_page=True)
    assert out.stat().st_size > 10_000
    if os.environ.get("SABI_SAVE_SCREENSHOT"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(out, SCREENSHOT)


def test_api_docs_render_offline(browser, server):
    context = browser.new_context()
    pg = context.new_page()
    pg.goto(server.url + "/docs")
    pg.wait_for_selector(".opblock", timeout=30_000)
    assert pg.locator(".opblock").count() >= 5
    assert "/search" in pg.locator(".swagger-ui").inner_text()
    context.close()


def test_a_scene_not_in_the_library_is_said_so(page, tmp_path):
    """The server's ``found: false`` reaches the reader: a plain sentence, and the nearest scenes
    shown as nearest, not as a best match."""
    noise = np.random.default_rng(5).integers(0, 255, (360, 640, 3), dtype=np.uint8)
    shot = tmp_path / "elsewhere.jpg"
    shot.write_bytes(screenshot(noise))
    page.set_input_files("#file", str(shot))
    page.wait_for_selector("#results .summary", timeout=60_000)
    assert page.locator("#results .summary").inner_text().startswith("Probably not in this library")
    assert page.locator("#results .label-best").first.text_content() == "Nearest"
