"""The paper-presentation kit: its notebooks execute in fast mode, every cell carries slide
metadata, and ``medeff.slides`` builds a reveal.js deck that loads nothing from the network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medeff import slides
from medeff.course import execute_notebook

ROOT = Path(__file__).resolve().parents[1]
PAPERS = sorted((ROOT / "lectures" / "papers").glob("*.ipynb"))
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def test_kit_has_template_and_worked_example():
    names = {p.stem for p in PAPERS}
    assert {"reproduction_template", "gsp_conv_reproduction"} <= names


@pytest.mark.parametrize("path", PAPERS, ids=[p.name for p in PAPERS])
def test_every_cell_has_slide_metadata(path: Path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    missing = [
        i
        for i, c in enumerate(nb["cells"])
        if c["metadata"].get("slideshow", {}).get("slide_type") not in SLIDE_TYPES
    ]
    assert not missing, f"{path.name}: cells {missing} lack slideshow.slide_type"
    assert nb["cells"][0]["metadata"]["slideshow"]["slide_type"] == "slide"
    assert not any(c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", PAPERS, ids=[p.name for p in PAPERS])
def test_paper_notebook_executes_in_fast_mode(path: Path, tmp_path: Path):
    run = execute_notebook(path, tmp_path, fast=True, html=False)
    assert run.ok, f"{path.name} failed:\n{run.error[-4000:]}"


def test_remote_references_found():
    page = """<script src="https://cdn.example/x.js"></script><script src='//cdn.example/y.js'>
    <link rel="stylesheet" href="http://cdn.example/z.css"><a href="https://doi.org/ok">paper</a>
    <script type="module">import mermaid from 'https://cdn.example/m.mjs';</script>
    <script src="_deck_assets/local.js"></script>"""
    assert slides.remote_references(page) == [
        "https://cdn.example/x.js",
        "//cdn.example/y.js",
        "http://cdn.example/z.css",
        "https://cdn.example/m.mjs",
    ]
    assert slides.local_references(page) == ["_deck_assets/local.js"]


def test_default_nbconvert_deck_is_not_offline():
    # the reason medeff.slides exists: nbconvert's defaults load from CDNs
    from nbconvert import SlidesExporter

    body, _ = SlidesExporter().from_filename(str(PAPERS[0]))
    assert slides.remote_references(body)


@pytest.mark.parametrize("path", PAPERS, ids=[p.name for p in PAPERS])
def test_deck_builds_offline(path: Path, tmp_path: Path, modules: Path):
    deck = slides.build_deck(path, tmp_path, execute=False, modules=modules)
    html = deck.read_text(encoding="utf-8")
    assert slides.remote_references(html) == []
    local = slides.local_references(html)
    assert any("reveal.js" in u for u in local) and any("MathJax.js" in u for u in local)
    for ref in local:
        target = tmp_path / ref
        assert target.exists() or target.with_suffix(".js").exists(), f"{ref} is missing"
    assert (tmp_path / "_deck_assets" / "mathjax" / "config" / "TeX-AMS_CHTML-full.js").is_file()
    assert html.count("<section") >= 10  # one per slide (and sub-slide)


def test_decks_open_cleanly_in_a_browser(tmp_path: Path, modules: Path):
    # console errors, failed or remote requests, untypeset math: what a reader of the deck sees
    from medeff import site

    browser, why = site.find_browser()
    if browser is None:
        pytest.skip(why)
    for path in PAPERS:
        slides.build_deck(path, tmp_path, execute=False, modules=modules)
    decks = {f"{p.stem}.slides.html" for p in PAPERS}
    reports = {
        r.url.rsplit("/", 1)[-1]: r for r in site.browser_check(tmp_path, {}, browser=browser)
    }
    assert decks <= set(reports), f"decks not opened: {decks - set(reports)}"
    bad = {name: r.problems[:5] for name, r in reports.items() if r.problems}
    assert not bad, f"decks with problems: {bad}"
    assert all(reports[d].typeset > 0 for d in decks), "math not typeset by the local MathJax"
    # the check sees a missing asset (a deck bug found by hand last session: a 404 on MathJax's
    # config/Safe.js)
    (tmp_path / "_deck_assets" / "mathjax" / "config" / "Safe.js").unlink()
    again = site.browser_check(tmp_path, {}, browser=browser)
    assert any("Safe.js" in p for r in again for p in r.problems), "a missing asset went unseen"
