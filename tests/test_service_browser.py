"""One whole collection round in a real browser (Debian's chromium, headless, driven by selenium)
against `taizhang serve` started as its own process: the office creates the round, two departments
upload (one with errors, fixed and uploaded again), the office sees the status, merges, rolls up,
downloads the master and the roll-up, which are then checked cell by cell. Every page is saved as
a screenshot in tests/out/screenshots/; the README's illustrations in docs/screenshots/ are these,
remade with `TAIZHANG_SCREENSHOTS=docs/screenshots python -m pytest tests/test_service_browser.py`.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import openpyxl
import pytest

from conftest import EX000, ROOT
from service_client import PASSWORD
from test_rounds import G10_ROUND1, G10_SEED, SHEET, filled

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not os.environ.get("TAIZHANG_CI"):  # in CI (.ci/run installs them) a missing browser fails, never skips
    pytest.importorskip("selenium.webdriver")
    pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                    reason="needs Debian's chromium and chromium-driver (.ci/run installs them)")
from selenium import webdriver  # noqa: E402
SHOTS = ROOT / os.environ.get("TAIZHANG_SCREENSHOTS", "tests/out/screenshots")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """`taizhang serve` on a free port, as an office would start it (password from the environment)."""
    port = _free_port()
    env = dict(os.environ, TAIZHANG_ADMIN_PASSWORD=PASSWORD)
    proc = subprocess.Popen([sys.executable, "-m", "taizhang.cli", "serve", "--port", str(port), "--data",
                             str(tmp_path / "data")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/login", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"taizhang serve did not start: {proc.stdout.read().decode(errors='replace')}")
            time.sleep(0.2)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture
def browser(tmp_path):
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN",
                 f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,900"):
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"download.default_directory": str(downloads),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    driver.implicitly_wait(5)
    driver.downloads = downloads
    yield driver
    driver.quit()


def shot(driver, name: str) -> None:
    """A full-page screenshot: the viewport set to the page's height through the DevTools protocol."""
    import base64

    SHOTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    metrics = {"width": 1280, "height": max(600, min(height, 4000)), "deviceScaleFactor": 1, "mobile": False}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    png = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    (SHOTS / f"{name}.png").write_bytes(base64.b64decode(png["data"]))


def by_id(driver, ident: str):
    from selenium.webdriver.common.by import By

    return driver.find_element(By.ID, ident)


def css(driver, selector: str):
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, selector)


def go(driver, element) -> None:
    """Click something that loads a new page, and wait until the new page is there."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(drv) -> bool:
        try:  # mid-navigation chromium may answer "node does not belong to the document" rather than "stale"
            old.tag_name
            return False
        except WebDriverException:
            return drv.execute_script("return document.readyState") == "complete"

    WebDriverWait(driver, 60, ignored_exceptions=(WebDriverException,)).until(replaced)


def set_value(driver, element, value: str) -> None:
    """Date inputs take typed text in the browser's locale order; setting the value is locale-free."""
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def wait_download(folder: Path, before: set[str], timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = [p for p in folder.iterdir() if p.name not in before and not p.name.endswith(".crdownload")]
        if new:
            time.sleep(0.2)
            return new[0]
        time.sleep(0.1)
    raise AssertionError(f"no download in {folder}")


def download(driver, click) -> Path:
    before = {p.name for p in driver.downloads.iterdir()}
    click()
    return wait_download(driver.downloads, before)


def department_upload(driver, link: str, cells: dict[str, object], tmp_path: Path, name: str) -> Path:
    driver.get(link)
    own = download(driver, lambda: by_id(driver, "download").click())
    sent = filled(own, tmp_path / name, cells)
    by_id(driver, "file").send_keys(str(sent))
    go(driver, by_id(driver, "upload"))
    by_id(driver, "verdict")
    return own


def findings_on_page(driver) -> list[tuple[str, str]]:
    return [(r.find_elements("css selector", "td")[0].text, r.find_elements("css selector", "td")[2].text)
            for r in css(driver, "#findings tbody tr")]


def test_whole_round_in_a_browser(server, browser, tmp_path):
    d = browser
    # the office logs in
    d.get(server + "/")
    assert "/login" in d.current_url
    shot(d, "01-login")
    by_id(d, "password").send_keys(PASSWORD)
    go(d, by_id(d, "login"))
    assert "还没有报送轮次" in d.page_source

    # creates a round from the master ledger
    d.get(server + "/rounds/new")
    by_id(d, "name").send_keys("2019年第二季度")
    set_value(d, by_id(d, "due"), (dt.date.today() + dt.timedelta(days=7)).isoformat())
    master = tmp_path / "2019年卫生健康工作台账.xlsx"
    shutil.copy(EX000, master)
    by_id(d, "master").send_keys(str(master))
    from selenium.webdriver.support.ui import Select

    Select(by_id(d, "split_by")).select_by_value("责任单位")
    shot(d, "02-new-round")
    go(d, by_id(d, "create"))
    rows = css(d, "#links tbody tr")
    links = {r.find_element("css selector", ".dept").text: r.find_element("css selector", "input").get_attribute("value")
             for r in rows}
    assert list(links) == ["市卫生健康委", "市市场监管局", "市医保局"]
    assert all(v.startswith(server + "/d/") for v in links.values())
    shot(d, "03-links")

    # 市医保局: a wrong phone number, seen at once, fixed and uploaded again
    own = department_upload(d, links["市医保局"], {"G3": G10_ROUND1, "H4": "张三", "I4": "3905"}, tmp_path, "医保局-1.xlsx")
    assert openpyxl.load_workbook(own)[SHEET]["G3"].value == G10_SEED  # its own rows only: 4 of them
    assert openpyxl.load_workbook(own)[SHEET].max_row <= 7
    assert "已接收，但有 3 个错误" in by_id(d, "verdict").text
    assert ("I4", "「3905」不是有效的电话号码：位数不对") in findings_on_page(d)
    shot(d, "04-department-findings")
    fixed = filled(own, tmp_path / "医保局-2.xlsx", {"G3": G10_ROUND1, "H4": "张三", "I4": "39052000",
                                                     "H6": "李四", "I6": "39052001"})
    by_id(d, "file").send_keys(str(fixed))
    go(d, by_id(d, "upload"))
    assert by_id(d, "verdict").text == "已接收，没有发现问题。"
    assert css(d, "#findings") == []
    shot(d, "05-department-fixed")

    # 市市场监管局: progress filled in, and a deadline it may not change (a locked column)
    department_upload(d, links["市市场监管局"], {"G5": "已完成短缺药品信息直报培训。", "F5": "5月底"}, tmp_path, "监管局.xlsx")

    # the office: status, 催报, merge
    d.get(server + "/")
    shot(d, "06-rounds")
    go(d, css(d, "#rounds a")[0])
    assert by_id(d, "n-submitted").text == "2 / 3"
    assert by_id(d, "chase").get_attribute("value").endswith("以下 1 个处室尚未报送，请抓紧报送：市卫生健康委。")
    status = {r.get_attribute("data-department"): r.text for r in css(d, "#status tbody tr")}
    assert "未报送" in status["市卫生健康委"] and "已报送" in status["市医保局"]
    shot(d, "07-status")
    go(d, by_id(d, "merge"))
    assert by_id(d, "n-applied").text == "6" and by_id(d, "n-rejected").text == "1"
    rejected = css(d, "#rejected tbody tr")[0].text
    assert rejected.startswith("F12 完成时限及主要节点") and "5月底" in rejected
    shot(d, "08-merge")
    merged = download(d, lambda: by_id(d, "download-merged").click())

    # roll-up as of the first reporting date, then the downloads page
    d.get(server + "/rounds/1")
    set_value(d, by_id(d, "as_of"), "2019-06-27")
    go(d, by_id(d, "rollup"))
    assert "/downloads" in d.current_url
    shot(d, "09-downloads")
    rolled = download(d, lambda: css(d, 'a[data-file="rollup"]')[0].click())

    # who changed G10, when, from what
    d.get(server + "/rounds/1/history")
    by_id(d, "cell").send_keys("G10")
    go(d, by_id(d, "search"))
    (change,) = css(d, "#changes tbody tr")
    assert "市医保局" in change.text and G10_ROUND1 in change.text
    shot(d, "10-history")

    # any file checked in the browser, nothing stored
    d.get(server + "/check")
    by_id(d, "file").send_keys(str(EX000))
    go(d, by_id(d, "check"))
    assert by_id(d, "verdict").text == "4 个错误，0 个警告。"
    assert findings_on_page(d)[0] == ("H11", "H11 未填写联系人（本行有任务或成果，须明确联系人）")
    shot(d, "11-check")

    # the API docs: swagger-ui from the service itself (the browser has no CDN to reach)
    d.get(server + "/docs")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(d, 30).until(lambda drv: len(css(drv, ".opblock")) >= 5)
    paths = [e.text for e in css(d, ".opblock-summary-path")]
    assert "/api/v1/grid/validate" in paths and "/api/v1/validate" in paths
    shot(d, "12-docs")

    check_merged_master(merged)
    check_rollup(rolled, merged, tmp_path)


def check_merged_master(merged: Path) -> None:
    """Every cell of the merged master: the master as issued, except the six edits the departments made."""
    expected_changes = {"G10": G10_ROUND1, "H11": "张三", "I11": "39052000", "H13": "李四", "I13": "39052001",
                        "G12": "已完成短缺药品信息直报培训。"}
    base = openpyxl.load_workbook(EX000)[SHEET]
    got = openpyxl.load_workbook(merged)[SHEET]
    assert got.max_column == base.max_column and got.max_row == base.max_row
    for row in base.iter_rows():
        for c in row:
            want = expected_changes.get(c.coordinate, c.value)
            assert got[c.coordinate].value == want, c.coordinate
    assert got["F12"].value == "6月底"  # the locked column kept the office's deadline


def check_rollup(rolled: Path, merged: Path, tmp_path: Path) -> None:
    """The roll-up the service made, cell by cell against the core's roll-up of the merged master."""
    from taizhang.ledgerops.rollup import rollup
    from taizhang.ledgerops.rollup_xlsx import write_rollup_xlsx

    same_name = tmp_path / "core" / "2019年卫生健康工作台账.xlsx"
    same_name.parent.mkdir()
    shutil.copy(merged, same_name)
    ours = tmp_path / "core" / "汇总.xlsx"
    write_rollup_xlsx(rollup(same_name, dt.date(2019, 6, 27)), ours)
    got, want = openpyxl.load_workbook(rolled), openpyxl.load_workbook(ours)
    assert got.sheetnames == want.sheetnames == ["汇总", "逾期清单", "按月到期", "逐项状态", "_taizhang"]
    for name in got.sheetnames:
        for row in want[name].iter_rows():
            for c in row:
                if name == "_taizhang" and want[name].cell(c.row, 1).value == "master":
                    continue  # the path of the master the roll-up read
                assert got[name][c.coordinate].value == c.value, (name, c.coordinate)
    summary = got["汇总"]
    assert [c.value for c in summary[6]][:7] == ["市市场监管局", 4, 1, 3, 0, 0, 1]
