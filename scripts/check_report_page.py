"""Render the trends page in headless Chromium and check that its charts drew: screenshots and a DOM check.

    .venv/bin/python scripts/check_report_page.py --warehouse data/warehouse/warehouse.duckdb --out /tmp/page
    .venv/bin/python scripts/check_report_page.py --html data/warehouse/report.html --out /tmp/page

In: a built warehouse (the page is rendered from it) or a page already written. Out, in `--out`: `report.png`
(the page as Chromium draws it), `previews.html` and `previews.png` (each chart's standalone SVG as an
`<img src="data:image/svg+xml;base64,…">`, the way the Dagster UI shows the metadata previews), `report.dom.html`
(the DOM after load), with `--charts` one `chart-<key>.png` per chart at full size, and a JSON summary on stdout.

Exit status 1 when a check fails: a chart section with neither an SVG nor a "not available" message, an SVG
without bars, error text on the page, or no CJK font installed (Chinese agency names would draw as boxes). Needs
the `chromium` package (Debian); the project's tests skip when it is missing. Look at the PNGs: the checks cannot
see overlapping labels.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
from lxml import html as lxml_html

REPOSITORY = Path(__file__).resolve().parent.parent
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from pipeline.report_page import CHART_KEYS, chart_svgs, svg_data_uri, write_page  # noqa: E402

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ERROR_TEXT = ("Traceback", "Exception", "undefined", "NaN", "Infinity")
TIMEOUT_SECONDS = 120


@dataclass
class PageCheck:
    page: str
    screenshot: str
    charts_drawn: list[str] = field(default_factory=list)
    charts_unavailable: list[str] = field(default_factory=list)
    svg_elements: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def find_browser() -> str | None:
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def cjk_fonts() -> list[str]:
    """Fonts fontconfig offers for Simplified Chinese; empty means Chinese text draws as boxes."""
    if not shutil.which("fc-list"):
        return []
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, check=False)
    return sorted({line.split(",")[0].strip() for line in result.stdout.splitlines() if line.strip()})


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace for the sandbox
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--disable-background-networking",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)


def screenshot(browser: str, page: Path, png: Path, width: int, height: int) -> None:
    result = _chromium(browser, f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri())
    if not png.exists() or png.stat().st_size == 0:
        raise RuntimeError(f"chromium wrote no screenshot {png}: {result.stderr[-2000:]}")


def dump_dom(browser: str, page: Path) -> str:
    result = _chromium(browser, "--dump-dom", "--virtual-time-budget=2000", page.resolve().as_uri())
    if result.returncode != 0 or "<html" not in result.stdout:
        raise RuntimeError(f"chromium could not dump the DOM of {page}: {result.stderr[-2000:]}")
    return result.stdout


def check_dom(dom: str, check: PageCheck) -> None:
    """Every chart section holds an SVG with marks, or says why it has none; no error text anywhere."""
    tree = lxml_html.fromstring(dom)
    check.svg_elements = len(tree.xpath("//*[local-name()='svg']"))
    sections = {s.get("data-chart"): s for s in tree.xpath("//section[@data-chart]")}
    for key in CHART_KEYS:
        section = sections.get(key)
        if section is None:
            check.problems.append(f"chart {key}: no section on the page")
            continue
        svgs = section.xpath(".//*[local-name()='svg']")
        unavailable = section.xpath(".//*[@data-unavailable]")
        if svgs:
            marks = svgs[0].xpath(".//*[local-name()='rect']")
            if len(marks) < 2:  # the background is one rect: a chart has at least one bar more
                check.problems.append(f"chart {key}: an SVG without bars")
            check.charts_drawn.append(key)
        elif unavailable and unavailable[0].text_content().strip():
            check.charts_unavailable.append(key)
        else:
            check.problems.append(f"chart {key}: neither a chart nor a reason for its absence")
    text = tree.text_content()
    for word in ERROR_TEXT:
        if word in text:
            check.problems.append(f"the page shows {word!r}")


def chart_screenshots(browser: str, page: Path, out: Path, width: int) -> list[Path]:
    """One screenshot per chart at full size (`chart-<key>.png`): the page cut down to the chart's section.

    (A `#fragment` scroll does not reach headless screenshots, hence a page per section.)
    """
    source = page.read_text(encoding="utf-8")
    keys = lxml_html.fromstring(source).xpath("//section[@data-chart]/@data-chart")
    shots = []
    for key in keys:
        tree = lxml_html.fromstring(source)  # the page's head (styles) with only this chart in its body
        (section,) = tree.xpath(f"//section[@data-chart='{key}']")
        body = tree.xpath("//body")[0]
        for child in list(body):
            body.remove(child)
        body.append(section)
        single = out / f"chart-{key}.html"
        single.write_text(lxml_html.tostring(tree, encoding="unicode", doctype="<!DOCTYPE html>"), encoding="utf-8")
        png = out / f"chart-{key}.png"
        screenshot(browser, single, png, width, 900)
        shots.append(png)
    return shots


def previews_page(svgs: dict[str, str]) -> str:
    """The standalone SVGs as data-URI images, the way Dagster's markdown metadata shows them."""
    images = "\n".join(
        f'<figure data-chart="{key}"><img alt="{key}" src="{svg_data_uri(svg)}"><figcaption>{key}</figcaption></figure>'
        for key, svg in svgs.items()
    )
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>chart previews</title>'
        "<style>body{margin:12px;background:#eee}figure{background:#fff;margin:0 0 12px;padding:8px;"
        "display:inline-block}</style></head>"
        f"<body>{images}</body></html>"
    )


def check_page(page: Path, out: Path, width: int = 1280, height: int = 6000, browser: str | None = None) -> PageCheck:
    browser = browser or find_browser()
    if browser is None:
        raise FileNotFoundError("no Chromium found (Debian: apt-get install chromium)")
    out.mkdir(parents=True, exist_ok=True)
    png = out / "report.png"
    check = PageCheck(page=str(page), screenshot=str(png))
    screenshot(browser, page, png, width, height)
    dom = dump_dom(browser, page)
    (out / "report.dom.html").write_text(dom, encoding="utf-8")
    check_dom(dom, check)
    if not cjk_fonts():
        check.problems.append("no CJK font installed (fc-list :lang=zh): Chinese names draw as boxes")
    return check


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--warehouse", type=Path, help="a warehouse.duckdb: render the page from it")
    source.add_argument("--html", type=Path, help="a report.html already written")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "report_page_check")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=6000, help="window height: the screenshot's height")
    parser.add_argument("--charts", action="store_true", help="also one full-size screenshot per chart")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    svgs: dict[str, str] = {}
    if args.warehouse:
        page = args.out / "report.html"
        with duckdb.connect(str(args.warehouse), read_only=True) as connection:
            write_page(connection, page)
            svgs = chart_svgs(connection)
    else:
        page = args.html
    check = check_page(page, args.out, args.width, args.height)
    summary = {**asdict(check), "ok": check.ok, "cjk_fonts": cjk_fonts()}
    browser = find_browser()
    assert browser is not None  # check_page found it
    if args.charts:
        shots = chart_screenshots(browser, page, args.out, args.width)
        summary["chart_screenshots"] = [str(shot) for shot in shots]
    if svgs:
        previews = args.out / "previews.html"
        previews.write_text(previews_page(svgs), encoding="utf-8")
        screenshot(browser, previews, args.out / "previews.png", args.width, args.height)
        summary["previews"] = str(args.out / "previews.png")
    json.dump(summary, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
