"""The web page's shot breakdown in a real browser: a dropped clip becomes a timeline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import BUNNY
from media import concat_clips

CHROMIUM = os.environ.get("SABI_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PIECES = [
    ("big_buck_bunny_0_30.webm", 5.0, 8.0),
    ("big_buck_bunny_clip.mp4", 0.5, 3.0),
    ("big_buck_bunny_0_30.webm", 17.0, 20.0),
]

if not Path(CHROMIUM).exists():
    if os.environ.get("SABI_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"no Chromium at {CHROMIUM}; run scripts/install_browser.sh")
    pytestmark = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (scripts/install_browser.sh)")


@pytest.fixture(scope="module")
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        pg = context.new_page()
        pg.goto(server.url + "/")
        yield pg
        browser.close()


def test_a_dropped_clip_breaks_down_into_a_timeline(page, tmp_path, shared_media):
    clip = concat_clips(tmp_path / "amv.mp4", [(shared_media / f, a, b) for f, a, b in PIECES])
    assert page.locator("#shots-offer").is_hidden()
    page.set_input_files("#file", str(clip))
    page.wait_for_selector("#shots-offer:not([hidden])", timeout=30_000)
    page.click("#shots-button")
    page.wait_for_selector("#timeline .seg", timeout=60_000)
    segments = page.locator("#timeline .seg")
    labels = [segments.nth(i).get_attribute("data-label") for i in range(segments.count())]
    assert labels == [f"{BUNNY} · Episode {n}" for n in (1, 2, 1)]
    # one colour per episode; segments laid out in clip order across the bar
    colours = [
        segments.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(3)
    ]
    assert colours[0] == colours[2] != colours[1]
    boxes = [segments.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["x"] < boxes[1]["x"] < boxes[2]["x"]
    assert "3 shots" in page.locator("#shots-summary").inner_text()
    # the first shot is shown; clicking another shows its answer with a preview
    assert page.locator("#shot-detail .episode").inner_text() == "Episode 1"
    segments.nth(1).click()
    assert page.locator("#shot-detail .episode").inner_text() == "Episode 2"
    assert page.locator("#shot-detail .shot-head").inner_text().startswith("Shot 00:03")
    src = page.locator("#shot-detail img.still").get_attribute("src")
    assert src and "/image/" in src
