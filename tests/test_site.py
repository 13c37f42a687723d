"""The course site (``make site``, :mod:`medeff.site`): built from executed notebooks without
running them again, navigation in lecture order, the assignment release and never the
solutions, and every page checked in headless Chromium served on localhost (no console
errors, no failed or remote requests, images with pixels, math typeset, titles, links).

The site is built once per module from a small course: two notebooks executed here in fast
mode (lecture A and the GSP-Conv reproduction: figures and equations), the other lectures
staged without outputs (``partial``), so ``make test`` does not need ``make course``.
The per-lecture HTML that ``make course`` writes beside each executed notebook is opened
the same way. Without playwright or a chromium the browser tests skip with the reason.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from medeff import site
from medeff.bundle import MARKERS
from medeff.course import execute_notebook
from medeff.slides import remote_references

ROOT = Path(__file__).resolve().parents[1]
EXECUTED = ["A_data.ipynb", "papers/gsp_conv_reproduction.ipynb"]


@pytest.fixture(scope="module")
def built(tmp_path_factory, modules) -> tuple[Path, site.Pages, Path]:
    tmp = tmp_path_factory.mktemp("site")
    executed = tmp / "executed"
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("MPLBACKEND", raising=False)  # conftest's Agg would leave plt.show() empty
        for name in EXECUTED:
            out = (executed / name).parent
            run = execute_notebook(ROOT / "lectures" / name, out, fast=True)  # + HTML
            assert run.ok, f"{name} failed:\n{run.error[-3000:]}"
    folder, pages = site.build_site(
        ROOT, tmp / "site", executed=executed, modules=modules, partial=True
    )
    return folder, pages, executed


def test_lecture_order():
    names = ["03_x.ipynb", "A_data.ipynb", "01_y.ipynb", "00_z.ipynb", "08_w.ipynb"]
    got = [n for n in sorted(names, key=lambda n: site.lecture_order(Path(n)))]
    assert got == ["00_z.ipynb", "A_data.ipynb", "01_y.ipynb", "03_x.ipynb", "08_w.ipynb"]


def test_missing_or_unexecuted_lecture_is_named(tmp_path: Path):
    executed = tmp_path / "lectures"
    executed.mkdir()
    shutil.copy(ROOT / "lectures" / "01_mobilenet.ipynb", executed)  # committed: no outputs
    with pytest.raises(FileNotFoundError) as err:
        site.stage(ROOT, tmp_path / "src", executed=executed)
    text = str(err.value)
    assert "00_compute_demands.ipynb: not executed (no executed copy)" in text
    assert "01_mobilenet.ipynb: not executed (code cells" in text
    assert "papers/gsp_conv_reproduction.ipynb" in text
    assert "make course" in text and "python -m medeff.course lectures NAME" in text
    assert not (tmp_path / "src").exists()  # nothing staged


def test_failed_execution_is_reported(tmp_path: Path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 / 0", execution_count=1)])
    nb.cells[0].outputs = [nbformat.v4.new_output("error", ename="ZeroDivisionError")]
    nbformat.write(nb, tmp_path / "x.ipynb")
    problem = site.execution_problem(tmp_path / "x.ipynb", tmp_path / "x.ipynb")
    assert problem and "execution failed" in problem


def test_check_site_finds_markers_solutions_and_remote_assets(tmp_path: Path):
    secret = next(s for s in sorted(site.secret_lines(ROOT)) if not set("<>&") & set(s))
    (tmp_path / "assignments").mkdir()
    (tmp_path / "assignments" / "a.html").write_text(
        '<script src="https://cdn.example/x.js"></script>'
        f"\n<pre><span>{secret[:10]}</span>{secret[10:]}\n</pre><p>### BEGIN SOLUTION</p>",
        encoding="utf-8",
    )
    problems = site.check_site(tmp_path, ROOT)
    assert any("https://cdn.example/x.js" in p for p in problems)
    assert any("BEGIN SOLUTION" in p for p in problems)
    assert any("solution/hidden-test lines" in p for p in problems)


def test_per_lecture_html_is_offline(tmp_path: Path, modules: Path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$ and $$y$$")])
    body, _ = site.lecture_html_exporter().from_notebook_node(nb)
    assert remote_references(body) == []
    assert not [cdn for cdn in ("cdnjs", "jsdelivr", "unpkg") if cdn in body]  # elk too
    assets = site.install_html_assets(tmp_path, modules)
    assert (assets / "mathjax" / "MathJax.js").is_file()
    assert (assets / "mathjax" / "config" / "Safe.js").is_file()
    assert (assets / "requirejs" / "require.js").is_file()


def test_site_navigation_follows_the_lecture_order(built):
    folder, pages, _ = built
    lectures = [Path(p).stem for p in pages.lectures]
    assert lectures[:3] == ["00_compute_demands", "A_data", "01_mobilenet"]
    assert lectures[-1] == "08_dynamic_networks"
    assert [Path(p).stem for p in pages.papers] == [
        "reproduction_template",
        "gsp_conv_reproduction",
    ]
    index = (folder / "index.html").read_text(encoding="utf-8")
    positions = [index.find(f'href="{p.removesuffix(".ipynb")}.html"') for p in pages.all]
    assert -1 not in positions and positions == sorted(positions)
    for name in pages.all:
        assert (folder / name.replace(".ipynb", ".html")).is_file()
    assert (folder / "search.html").is_file() and (folder / "searchindex.js").is_file()


def test_site_shows_executed_outputs_without_executing(built):
    folder, pages, _ = built
    gsp = (folder / "papers" / "gsp_conv_reproduction.html").read_text(encoding="utf-8")
    assert "<img" in gsp  # a figure from the fast-mode run of the fixture
    unexecuted = [n for n in pages.notes if "shown without outputs" in n]
    assert len(unexecuted) == len(pages.lectures) + len(pages.papers) - len(EXECUTED)


def test_assignment_pages_come_from_the_release_not_solutions(built):
    folder, pages, _ = built
    releases = sorted((ROOT / "assignments").glob("*/*.ipynb"))
    assert [Path(p).name for p in pages.assignments] == [r.name for r in releases]
    for path in folder.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".js", ".txt", ".ipynb"):
            text = path.read_text(encoding="utf-8", errors="replace")
            assert not [m for m in MARKERS if m in text], f"{path} carries an nbgrader marker"
    assert site.check_site(folder, ROOT) == []
    assert not list(folder.rglob("*solutions*"))


def test_site_loads_nothing_from_the_network(built):
    folder, _, _ = built
    for page in folder.rglob("*.html"):
        assert remote_references(page.read_text(encoding="utf-8")) == [], page
    assert (folder / "_static" / "mathjax" / "MathJax.js").is_file()
    assert (folder / "_static" / "mathjax" / "fonts" / "HTML-CSS" / "TeX" / "woff").is_dir()


def test_site_in_a_browser(built):
    browser, why = site.find_browser()
    if browser is None:
        pytest.skip(why)
    folder, pages, _ = built
    shots = folder / "screenshots"
    reports = site.browser_check(folder, site.page_titles(pages), screenshots=shots)
    bad = {r.url: r.problems[:5] for r in reports if r.problems}
    assert not bad, f"pages with problems: {bad}"
    checked = {r.url.split("/", 3)[-1] for r in reports}
    assert {"index.html", "lectures/A_data.html", "assignments/a0_counting_costs.html"} <= checked
    assert len(reports) >= len(pages.all) + 3  # + landing page, search page, a search
    by_page = {r.url.split("/", 3)[-1]: r for r in reports}
    gsp = by_page["papers/gsp_conv_reproduction.html"]
    assert gsp.images and gsp.math and gsp.typeset > 0
    assert by_page["lectures/A_data.html"].images >= 3
    for name in ("index.png", "lecture.png"):
        assert (shots / name).stat().st_size > 20_000, f"{name} looks empty"


def test_per_lecture_html_in_a_browser(built):
    # the HTML that `make course` writes beside each executed notebook: offline too
    browser, why = site.find_browser()
    if browser is None:
        pytest.skip(why)
    _, _, executed = built
    reports = site.browser_check(executed, {})
    bad = {r.url: r.problems[:5] for r in reports if r.problems}
    assert not bad, f"pages with problems: {bad}"
    by_page = {r.url.split("/", 3)[-1]: r for r in reports}
    assert set(by_page) == {"A_data.html", "papers/gsp_conv_reproduction.html"}
    assert by_page["papers/gsp_conv_reproduction.html"].typeset > 0
    assert by_page["A_data.html"].images >= 3
