"""Real browser: JupyterLab in Chromium runs notebook 04 and the simulated phone shows the preview.

JupyterLab starts headless on a free loopback port (no token, XSRF off, ``window.jupyterapp``
exposed), serving a temporary root that holds a *copy* of the notebook, so the committed file is
never touched. Chromium (Debian's ``/usr/bin/chromium``, driven by the playwright package) opens it,
clears the saved outputs, runs every cell through ``notebook:run-all-cells`` and waits for the
PhoneView widget of the round trip to show the prompt. Screenshots land in ``tests/artifacts/``.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "04_prompt_customizations.ipynb"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
EXPECTED_TITLE = "TrustNow Banking is requesting approval"
EXPECTED_BODY = "Message from TrustNow Banking:\nTX-58213"

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run the browser test",
                allow_module_level=True)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JupyterLab server on a temp root holding a copy of notebook 04; yields its base URL."""
    assert NOTEBOOK.exists(), f"{NOTEBOOK} is missing: build it with scripts/build_notebooks.py"
    base = tmp_path_factory.mktemp("lab")
    root, settings, workspaces, data, config, runtime = (base / n for n in (
        "root", "settings", "workspaces", "data", "config", "runtime"))
    for d in (root, settings, workspaces, data, config, runtime):
        d.mkdir()
    shutil.copy2(NOTEBOOK, root / NOTEBOOK.name)
    # No "get Jupyter news?" toast over the screenshot.
    notif = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notif.parent.mkdir(parents=True)
    notif.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # The kernel runs this interpreter (the venv with ciba_kit), whatever other kernelspecs exist.
    spec = data / "kernels" / "python3"
    spec.mkdir(parents=True)
    spec.joinpath("kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ciba_kit)", "language": "python"}))
    port = _free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(settings), "JUPYTER_DATA_DIR": str(data),
           "JUPYTER_CONFIG_DIR": str(config), "JUPYTER_RUNTIME_DIR": str(runtime),
           "JUPYTER_PREFER_ENV_PATH": "0"}  # our data dir (and its kernelspec) first
    log = (base / "lab.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--ServerApp.token=",
         "--ServerApp.password=", "--IdentityProvider.token=", "--ServerApp.disable_check_xsrf=True",
         "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={root}",
         f"--LabApp.workspaces_dir={workspaces}",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],  # CI containers
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(f"JupyterLab did not start:\n{(base / 'lab.log').read_text()[-3000:]}")
            time.sleep(0.25)
        with urllib.request.urlopen(f"{url}/api/kernelspecs", timeout=5) as resp:
            specs = json.load(resp)
        assert specs["kernelspecs"]["python3"]["spec"]["argv"][0] == sys.executable
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


FIND_PHONE = """(title) => { for (const el of document.querySelectorAll('.widget-html-content .ciba-app .ciba-title')) {
                               if (el.textContent === title) return el.closest('.ciba-app'); }
                           return null; }"""
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def _wait_for_phone(page, title: str, *, timeout_s: float):  # noqa: ANN001, ANN202 - playwright types
    """The round trip's phone (in-app screen) once rendered; fails early if a cell raised."""
    deadline = time.monotonic() + timeout_s
    while True:
        element = page.evaluate_handle(FIND_PHONE, title).as_element()
        if element is not None:
            return element
        errors = page.locator(ERROR_OUTPUT)
        if errors.count():
            pytest.fail("a notebook cell failed in the browser:\n" + errors.first.inner_text()[-2000:])
        if time.monotonic() > deadline:
            pytest.fail(f"no phone showing {title!r} after {timeout_s:.0f} s")
        page.wait_for_timeout(250)


def test_notebook_04_phone_shows_the_preview(lab: str) -> None:
    from playwright.sync_api import sync_playwright

    before = _sha256(NOTEBOOK)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab}/lab/tree/{NOTEBOOK.name}", wait_until="domcontentloaded")
            page.wait_for_function(
                """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
                           const k = w && w.sessionContext && w.sessionContext.session
                                     && w.sessionContext.session.kernel;
                           return !!(k && k.status === 'idle'); }""", timeout=90_000)
            # Saved outputs also contain phones: clear them so only freshly rendered ones can match.
            page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            phone = _wait_for_phone(page, EXPECTED_TITLE, timeout_s=120)
            assert phone.query_selector(".ciba-title").text_content() == EXPECTED_TITLE
            assert phone.query_selector(".ciba-body").text_content() == EXPECTED_BODY
            buttons = [b.text_content() for b in phone.query_selector_all(".ciba-button")]
            assert buttons == ["Deny", "Approve"]
            # The lock-screen half of the same widget, and the round trip's final outcome.
            lock = page.locator(".widget-html-content .ciba-lock", has_text=EXPECTED_TITLE).last
            assert lock.locator(".ciba-title").text_content() == EXPECTED_TITLE
            page.locator(".jp-OutputArea-output", has_text="approved").first.wait_for(timeout=60_000)
            # Inline styles really applied (no stylesheet): the phone is a fixed-size frame.
            box = phone.bounding_box()
            assert box is not None and 250 <= box["width"] <= 350
            phone.scroll_into_view_if_needed()
            output = page.locator(".jp-OutputArea-output", has=page.locator(".widget-html-content .ciba-app",
                                                                            has_text=EXPECTED_TITLE)).last
            output.screenshot(path=str(ARTIFACTS / "prompt_phone.png"))
            page.screenshot(path=str(ARTIFACTS / "prompt_notebook.png"))
        finally:
            browser.close()
    assert _sha256(NOTEBOOK) == before, "the browser run modified the committed notebook"
    assert (ARTIFACTS / "prompt_phone.png").stat().st_size > 1000
