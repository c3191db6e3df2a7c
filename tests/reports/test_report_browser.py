"""``sodbench report`` in a real browser: headless Chromium driven by Selenium through Debian's
chromedriver (given by path, so Selenium never downloads a driver). No script error, one
leaderboard row per method, header clicks sort as Python sorts (both directions, NaN last),
every image decoded. Skipped, with the reason, when Selenium, Chromium or chromedriver is
missing (docs/report.md, "Tests")."""

from __future__ import annotations

import math
import shutil

import pytest
from test_report import METHODS, make_sample

from sodbench.folders.results import dump_results, load_results
from sodbench.reports.report import ImageInputs, build_report

webdriver = pytest.importorskip("selenium.webdriver", reason="Selenium is not installed "
                                "(pip install selenium; see docs/report.md)")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
TIMEOUT = 20  # seconds, for every page load and script

#: Installed before any page script: records errors that the console log could miss.
ERROR_TRAP = """window.__errors = [];
window.addEventListener('error', function (e) { window.__errors.push(String(e.message)); });"""


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None or DRIVER is None:
        pytest.skip("headless Chromium and chromedriver are needed (Debian: apt-get install "
                    "chromium chromium-driver)")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    driver.set_script_timeout(TIMEOUT)
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": ERROR_TRAP})
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def report_file(tmp_path_factory):
    """The report of the synthetic sample's three methods with image sections (Noisy's wF
    removed from the results, to sort a missing value), written once."""
    sample = make_sample(tmp_path_factory.mktemp("report-browser"))
    document = load_results(sample["results"])
    for made in document["entries"]:
        if made["method"] == "Noisy":
            made["metrics"]["wF"] = None
    results = sample["root"] / "browser-results.json"
    dump_results(document, results)
    out = sample["root"] / "browser-report.html"
    inputs = ImageInputs(sample["per_image"], sample["data"] / "GT", sample["data"] / "Img",
                         sample["preds"])
    out.write_text(build_report(results, inputs, top_k=2), encoding="utf-8")
    return out, load_results(results)["entries"]


@pytest.fixture
def page(browser, report_file):
    """The report, freshly loaded in the browser."""
    out, entries = report_file
    browser.get(out.as_uri())
    return browser, entries


def _column(driver, index: int) -> list[str]:
    return driver.execute_script(
        "var column = arguments[0];"
        "return Array.from(document.querySelectorAll('#leaderboard-table tbody tr'))"
        ".map(function (row) { return row.cells[column].textContent; });", index)


def _click(driver, label: str) -> None:
    heads = driver.find_elements("css selector", "#leaderboard-table thead th")
    next(head for head in heads if head.text.startswith(label)).click()


def test_no_errors_and_every_image_loads(page):
    driver, _ = page
    assert driver.execute_script("return window.__errors") == []
    severe = [line for line in driver.get_log("browser") if line["level"] == "SEVERE"]
    assert severe == []
    images = driver.execute_script(
        "return Array.from(document.images).map(function (img) {"
        " return [img.alt, img.complete && img.naturalWidth > 0]; });")
    assert len(images) == 3 + 3 * 2 * 4 + 2 * 4  # curves, worst images, differences
    assert all(loaded for _, loaded in images), [alt for alt, loaded in images if not loaded]


def test_one_row_per_method(page):
    driver, _ = page
    assert _column(driver, 1) == list(METHODS)


@pytest.mark.parametrize("key", ["MAE", "wF", "Sm", "IoU"])
def test_clicking_a_header_sorts_both_ways(page, key):
    driver, entries = page
    values = {e["method"]: e["metrics"][key] for e in entries}
    numbers = {m: math.nan if v is None else v for m, v in values.items()}

    def python_order(reverse: bool) -> list[str]:
        known = sorted((m for m in METHODS if not math.isnan(numbers[m])),
                       key=numbers.__getitem__, reverse=reverse)
        return known + [m for m in METHODS if math.isnan(numbers[m])]  # NaN last both ways

    best_first = key != "MAE"  # the first click puts the best first
    _click(driver, key)
    assert _column(driver, 1) == python_order(reverse=best_first)
    _click(driver, key)
    assert _column(driver, 1) == python_order(reverse=not best_first)
    assert driver.execute_script("return window.__errors") == []


def test_text_columns_sort_too(page):
    driver, _ = page
    _click(driver, "method")
    assert _column(driver, 1) == sorted(METHODS)
    _click(driver, "method")
    assert _column(driver, 1) == sorted(METHODS, reverse=True)
