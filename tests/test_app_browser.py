"""The teaching page end to end in headless Chromium, and a report opened offline.

`campaignsim app` is started on a free localhost port and Chromium (the Debian package;
.ci/run installs it) is driven through the DevTools protocol over a websocket, so no
browser download is needed. The tests wait for the page, check that the network and the
curves are drawn (pixels of the state colours in the images), press Step, check that the
week advanced and the curves changed, check that every request stayed on this machine,
and save screenshots to results/screenshots/ (set CAMPAIGNSIM_UPDATE_FIGURES=1 to also
refresh docs/figures/app.png and docs/figures/report.png).

The app tests skip only when the optional `app` extra (solara) is missing; a missing
Chromium is a failure, since CI installs it.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from conftest import BASELINE, ROOT, write

SCREENSHOTS = ROOT / "results" / "screenshots"
FIGURES = ROOT / "docs" / "figures"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--hide-scrollbars", "--remote-debugging-port=0"]
# RGB of the state colours (campaignsim.plots.STATE_COLOURS) and of the hybrid marker.
UNAWARE, ENROLLED, HYBRID = (0xBD, 0xBD, 0xBD), (0x31, 0x82, 0xBD), (0x54, 0x27, 0x8F)


def chromium_path() -> str:
    for name in (os.environ.get("CAMPAIGNSIM_CHROMIUM"), "chromium", "chromium-browser",
                 "google-chrome", "google-chrome-stable"):
        if name and shutil.which(name):
            return shutil.which(name)
    pytest.fail("headless Chromium is needed for the browser tests: apt-get install -y chromium "
                "(.ci/run installs it), or set CAMPAIGNSIM_CHROMIUM to its path")


class Chromium:
    """Headless Chromium driven through the DevTools protocol (a websocket)."""

    def __init__(self, width: int = 1400, height: int = 1000):
        self.width, self.height = width, height
        self.events: list[dict] = []
        self._next = 0
        self._stack = ExitStack()

    def __enter__(self) -> "Chromium":
        from websockets.sync.client import connect

        self.profile = Path(tempfile.mkdtemp(prefix="campaignsim-chromium-"))
        self._stack.callback(shutil.rmtree, self.profile, ignore_errors=True)
        self.process = subprocess.Popen(
            [chromium_path(), *CHROMIUM_FLAGS, f"--user-data-dir={self.profile}",
             f"--window-size={self.width},{self.height}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._stack.callback(self._stop)  # runs last: the browser has been asked to close
        port_file = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and "\n" in port_file.read_text()):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("Chromium did not start")
            time.sleep(0.05)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            page = next(t for t in json.load(answer) if t["type"] == "page")
        self.socket = self._stack.enter_context(
            connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=20))
        self._stack.callback(self._close_browser)  # runs first, while the socket is open
        for domain in ("Page", "Network", "Runtime"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=self.height,
                  deviceScaleFactor=1, mobile=False)
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _close_browser(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except Exception:  # the browser may already be gone; _stop makes sure
            pass

    def _stop(self) -> None:
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def send(self, method: str, timeout: float = 30, **params) -> dict:
        self._next += 1
        ident = self._next
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.05, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            if "method" in message:
                self.events.append(message)

    def evaluate(self, expression: str):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                           awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression[:80]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 30, what: str = ""):
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout} s waiting for "
                                     f"{what or expression}")
            time.sleep(0.2)

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)

    def click(self, x: float, y: float) -> None:
        for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left",
                      clickCount=1)

    def screenshot(self, path: Path, full_page: bool = False) -> Path:
        params = {"format": "png"}
        if full_page:
            height = self.send("Page.getLayoutMetrics")["cssContentSize"]["height"]
            params.update(captureBeyondViewport=True,
                          clip={"x": 0, "y": 0, "width": self.width, "height": height, "scale": 1})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(self.send("Page.captureScreenshot", **params)["data"]))
        return path

    def requested_urls(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def failed_loads(self) -> list[dict]:
        return [e["params"] for e in self.events if e["method"] == "Network.loadingFailed"]


def image_stats(browser: Chromium, selector: str) -> dict | None:
    """Size, a pixel hash and the counts of pixels near the marker colours of an <img>."""
    colours = json.dumps([UNAWARE, ENROLLED, HYBRID])
    return browser.evaluate(f"""(async () => {{
        const img = document.querySelector({json.dumps(selector)});
        if (!img || !img.complete || !img.naturalWidth) return null;
        const canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
        const context = canvas.getContext('2d');
        context.drawImage(img, 0, 0);
        const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
        const colours = {colours};
        const counts = colours.map(() => 0);
        let hash = 2166136261;
        for (let i = 0; i < data.length; i += 4) {{
            const r = data[i], g = data[i + 1], b = data[i + 2];
            hash = Math.imul(hash ^ (r | (g << 8) | (b << 16)), 16777619) >>> 0;
            for (let k = 0; k < colours.length; k++) {{
                const c = colours[k];
                if (Math.abs(r - c[0]) + Math.abs(g - c[1]) + Math.abs(b - c[2]) < 12) counts[k]++;
            }}
        }}
        return {{width: canvas.width, height: canvas.height, hash: hash, counts: counts}};
    }})()""")


def week_text(browser: Chromium) -> str:
    return browser.evaluate("(document.querySelector('.campaignsim-week') || {}).textContent"
                            " || ''")


def press(browser: Chromium, label: str) -> None:
    """Click the button labelled `label` with real mouse events at its centre."""
    box = browser.wait_for(f"""(() => {{
        const button = Array.from(document.querySelectorAll('button')).find(
            b => b.textContent.trim().toLowerCase() === {json.dumps(label.lower())} && !b.disabled);
        if (!button) return null;
        button.scrollIntoView({{block: 'center'}});
        const r = button.getBoundingClientRect();
        return {{x: r.x + r.width / 2, y: r.y + r.height / 2}};
    }})()""", 15, f"an enabled {label} button")
    browser.click(box["x"], box["y"])


def choose_scenario(browser: Chromium, name: str) -> None:
    """Pick `name` in the scenario selector (a Vuetify select: open it, click the item)."""
    box = browser.wait_for("""(() => { const s = Array.from(document.querySelectorAll(
            '.v-select')).find(e => (e.querySelector('label') || {}).textContent === 'Scenario');
        if (!s) return null; const r = s.getBoundingClientRect();
        return {x: r.x + r.width / 2, y: r.y + r.height / 2}; })()""", 15, "the scenario picker")
    browser.click(box["x"], box["y"])
    find_item = f"""(() => {{
        const item = Array.from(document.querySelectorAll('.v-menu__content .v-list-item'))
            .find(e => e.textContent.trim() === {json.dumps(name)});
        if (!item) return null;
        item.scrollIntoView({{block: 'center'}});
        const r = item.getBoundingClientRect();
        return r.height ? {{x: r.x + r.width / 2, y: r.y + r.height / 2}} : null; }})()"""
    browser.wait_for(find_item, 15, f"{name} in the scenario list")
    time.sleep(0.4)  # let the menu's opening transition finish before aiming
    box = browser.wait_for(find_item, 5, f"{name} in the scenario list")
    browser.click(box["x"], box["y"])


def keep(path: Path, name: str) -> None:
    print(f"screenshot: {path}")
    if os.environ.get("CAMPAIGNSIM_UPDATE_FIGURES") == "1":
        FIGURES.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, FIGURES / name)
        print(f"copied to {FIGURES / name}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """`campaignsim app` serving the baseline on a free localhost port."""
    pytest.importorskip("solara", reason="the teaching page needs the optional 'app' extra "
                                         "(python3 -m pip install -e '.[app]')")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("app") / "server.log"
    url = f"http://127.0.0.1:{port}/"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "campaignsim.cli", "app", str(BASELINE), "--port", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + 60
            while True:
                if process.poll() is not None:
                    pytest.fail(f"the app exited ({process.returncode}):\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(url, timeout=5) as answer:
                        if answer.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(f"the app did not answer in 60 s:\n{log_path.read_text()}")
                time.sleep(0.3)
            yield url
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(15)


def test_page_draws_network_and_curves_and_steps(app_url):
    started = time.monotonic()
    with Chromium() as browser:
        browser.navigate(app_url)
        browser.wait_for("(() => { const n = document.querySelector('img.campaignsim-network'),"
                         " c = document.querySelector('img.campaignsim-curves');"
                         " return n && c && n.complete && c.complete && n.naturalWidth > 0"
                         " && c.naturalWidth > 0; })()", 60, "the network and the curves")
        assert week_text(browser).startswith("Week 0 of 52")
        assert_classroom_controls(browser)

        network, curves = (image_stats(browser, "img.campaignsim-network"),
                           image_stats(browser, "img.campaignsim-curves"))
        assert network["width"] > 400 and curves["width"] > 300
        unaware, enrolled, hybrid = network["counts"]
        assert unaware > 2000, "the 1,040 clinicians are drawn, unaware (grey) at week 0"
        assert hybrid > 100, "the hybrid leaders are drawn (purple diamonds)"
        assert enrolled < unaware / 10

        press(browser, "Step")
        browser.wait_for("(document.querySelector('.campaignsim-week') || {}).textContent"
                         "?.startsWith('Week 1 of 52')", 30, "week 1")
        browser.wait_for("""(() => { const i = document.querySelector('img.campaignsim-curves');
                          return i && i.complete && i.naturalWidth > 0; })()""", 15)
        deadline = time.monotonic() + 15
        while (after := image_stats(browser, "img.campaignsim-curves")) is None or \
                after["hash"] == curves["hash"]:
            assert time.monotonic() < deadline, "the curves did not change after Step"
            time.sleep(0.2)
        network_after = image_stats(browser, "img.campaignsim-network")
        assert network_after["hash"] != network["hash"]
        assert network_after["counts"][1] > enrolled + 200, "clinicians enrolled (blue) in week 1"
        assert network_after["counts"][0] < unaware

        for week in (2, 3, 4):  # a few weeks more, for a screenshot that shows the cascade
            press(browser, "Step")
            browser.wait_for("(document.querySelector('.campaignsim-week') || {}).textContent"
                             f"?.startsWith('Week {week} of 52')", 30, f"week {week}")
        browser.evaluate("document.querySelectorAll('*').forEach(e => { if (e.scrollTop) "
                         "e.scrollTop = 0; }) || true")  # the sidebar from its top
        time.sleep(0.5)
        shot = browser.screenshot(SCREENSHOTS / "app.png")
        keep(shot, "app.png")

        press(browser, "Reset")
        browser.wait_for("(document.querySelector('.campaignsim-week') || {}).textContent"
                         "?.startsWith('Week 0 of 52')", 30, "week 0 after Reset")
        press(browser, "▶")   # play at the page's speed, then pause
        browser.wait_for("/Week ([3-9]|[1-5][0-9]) of 52/.test((document.querySelector("
                         "'.campaignsim-week') || {}).textContent || '')", 30, "play to week 3")
        press(browser, "❚❚")
        # Mesa's play loop may finish the step it is sleeping on after a pause: let it,
        # before Reset (else that step lands on the new model)
        time.sleep(0.6)
        press(browser, "Reset")
        browser.wait_for("(document.querySelector('.campaignsim-week') || {}).textContent"
                         "?.startsWith('Week 0 of 52')", 30, "week 0 after Reset")

        choose_scenario(browser, "champions_network")
        browser.wait_for("(document.querySelector('.campaignsim-headline') || {}).textContent"
                         "?.includes('24 champions by degree')", 30, "the champions scenario")
        assert week_text(browser).startswith("Week 0 of 52")

        requested = browser.requested_urls()
        local = (app_url.rstrip("/"), "blob:", "data:")
        outside = [u for u in requested if not u.startswith(local)]
        assert not outside, f"the page asked for resources beyond this machine: {outside}"
        assert not browser.failed_loads(), browser.failed_loads()
    print(f"browser test took {time.monotonic() - started:.1f} s after the server answered")


def assert_classroom_controls(browser: Chromium) -> None:
    """Only step, play/pause, reset and a speed in weeks per second; every lever captioned
    with its value and unit before anything is touched; the seed a number field; the
    scenario's question above the network."""
    text = browser.evaluate("document.body.innerText")
    for hidden in ("Play Interval", "Render Interval", "Use Threads"):
        assert hidden not in text, f"Mesa's {hidden!r} control is shown"
    buttons = browser.evaluate("Array.from(document.querySelectorAll('button')).map("
                               "b => b.textContent.trim()).filter(t => t)")
    assert {"Reset", "▶", "Step"} <= set(buttons), buttons
    assert "Speed: 5 weeks per second" in text
    captions = browser.evaluate("Array.from(document.querySelectorAll('.campaignsim-lever'))"
                                ".map(e => e.textContent.trim())")
    # the baseline's own values (scenarios/baseline.toml), shown without touching a slider
    # (a slider shows its value on its step: the calibrated alignment 0.918 as 0.92)
    from campaignsim.app import LEVERS
    from campaignsim.scenario import load_scenario

    hybrids = load_scenario(BASELINE).hybrids
    step = LEVERS["hybrid_alignment"].step
    assert captions[:2] == [LEVERS["hybrid_alignment"].text(round(hybrids.alignment / step) * step),
                            LEVERS["hybrid_capacity"].text(hybrids.capacity)], captions
    assert len(captions) == 7 and all(":" in c for c in captions), captions
    sliders = browser.evaluate("document.querySelectorAll('.v-slider').length")
    assert sliders == 8, "seven levers and the speed"
    seed = browser.evaluate("(() => { const i = document.querySelector('.campaignsim-seed "
                            "input'); return i && [i.type, i.value]; })()")
    assert seed == ["text", "1"] or seed == ["number", "1"], seed
    question = browser.evaluate("(document.querySelector('.campaignsim-question') || {})"
                                ".textContent || ''")
    assert question.startswith('What does a "managed movement" achieve in a year'), question


def test_app_refuses_a_bad_scenario_file(tmp_path, capsys):
    pytest.importorskip("solara", reason="needs the optional 'app' extra")
    from campaignsim import cli

    bad = write(tmp_path / "bad.toml", 'weeks = "ten"\n')
    assert cli.main(["app", str(bad)]) == 2
    assert "weeks" in capsys.readouterr().err


@pytest.fixture(scope="module")
def small_compare(tmp_path_factory):
    """A small comparison folder (two strategies, two replications, 240 staff)."""
    from campaignsim import cli

    folder = tmp_path_factory.mktemp("compare")
    small = (f'extends = "{BASELINE.as_posix()}"\nweeks = 20\n'
             "[staff]\ndepartments = 3\nclinicians_per_department = 80\n")
    base = write(folder / "scenarios" / "small_base.toml", small)
    mediating = write(folder / "scenarios" / "small_mediating.toml",
                      'description = "Hybrids mediating"\n' + small
                      + "[hybrids]\nalignment = 0.2\n")
    out = folder / "compare"
    assert cli.main(["compare", str(base), str(mediating), "-r", "2", "--workers", "1",
                     "--out", str(out)]) == 0
    return out


def test_report_opens_offline_in_chromium_and_shows_its_figures(small_compare):
    from campaignsim.report import write_report

    report = write_report(small_compare)
    with Chromium(width=1300, height=900) as browser:
        browser.navigate(report.resolve().as_uri())
        count = browser.wait_for("document.readyState === 'complete' && document.images.length"
                                 " && Array.from(document.images).every(i => i.complete &&"
                                 " i.naturalWidth > 200) && document.images.length", 20,
                                 "the report's figures")
        assert count >= 2
        headings = browser.evaluate("Array.from(document.querySelectorAll('h2'))"
                                    ".map(h => h.textContent)")
        assert {"The question", "Key settings", "Outcomes", "Figures", "Manifest"} <= set(headings)
        shot = browser.screenshot(SCREENSHOTS / "report.png", full_page=True)
        requested = browser.requested_urls()
        assert all(u.startswith(("file:", "data:")) for u in requested), requested
        assert not browser.failed_loads()
    print(f"screenshot: {shot}")


# --- the page's model, levers and drawings (no browser) -------------------------------


@pytest.fixture(scope="module")
def app_module():
    pytest.importorskip("solara", reason="the teaching page needs the optional 'app' extra")
    from campaignsim import app

    return app


def test_levers_at_a_scenarios_own_values_leave_it_unchanged(app_module):
    catalogue = app_module.scenario_catalogue(BASELINE)
    assert list(catalogue)[0] == "baseline" and len(catalogue) >= 6
    for name in catalogue:
        spec = app_module.load_named(name, catalogue)
        assert app_module.apply_levers(spec, **app_module.lever_defaults(spec)) is spec, name


def test_levers_turn_mechanisms_on_and_off(app_module):
    from campaignsim.scenario import Normal, load_scenario

    scenarios = ROOT / "scenarios"
    top_down = load_scenario(scenarios / "top_down_broadcast.toml")
    baseline = load_scenario(BASELINE)
    champions = load_scenario(scenarios / "champions_network.toml")
    apply = app_module.apply_levers

    on = apply(top_down, hybrid_capacity=4, hybrid_alignment=0.3)
    assert on.on("hybrids").capacity == 4 and on.on("hybrids").alignment == 0.3
    assert apply(baseline, broadcast_intensity=0.0).on("broadcast") is None
    assert apply(baseline, broadcast_intensity=0.05).on("broadcast").intensity == 0.05
    assert apply(baseline, codesign_share=0.5).on("codesign").share == 0.5
    chosen = apply(baseline, champions=10, champion_rule="random")
    assert chosen.staff.champions == 10 and chosen.on("champions").rule == "random"
    assert apply(champions, champions=0).on("champions") is None
    assert apply(baseline, threshold_mean=0.4, threshold_spread=0.05).peer.threshold == Normal(
        distribution="normal", mean=0.4, sd=0.05)
    with pytest.raises(TypeError):
        apply(baseline, staff_size=3)


def test_teaching_model_takes_the_sliders_as_keywords(app_module):
    import inspect

    spec = app_module.load_named("champions_network", app_module.scenario_catalogue(BASELINE))
    values = app_module.model_params(spec)   # what Reset passes before a lever moves
    accepted = inspect.signature(app_module.TeachingModel.__init__).parameters
    assert set(values) <= set(accepted) and "scenario" not in accepted
    assert set(app_module.LEVERS) | {"seed", "champion_rule", "scenario_name"} == set(values)
    model = app_module.TeachingModel(**values)
    assert model.spec.content_hash() == spec.content_hash()
    assert not isinstance(getattr(model, "scenario", None), type(spec))  # Mesa's own, untouched
    moved = app_module.TeachingModel(**{**values, "champions": 6, "champion_rule": "random",
                                        "seed": 5})
    assert int(moved.population.champion.sum()) == 6 and moved.seed == 5


def test_lever_captions_show_value_and_unit(app_module):
    levers = app_module.LEVERS
    assert levers["hybrid_capacity"].text(3) == "Hybrid capacity: 3 clinicians a week"
    assert levers["broadcast_intensity"].text(0.02) == (
        "Broadcast intensity: 0.020 enrolment hazard a week")
    assert levers["hybrid_alignment"].text(0.8) == (
        "Hybrid alignment: 0.80 (0 mediating – 1 management's frame)")
    spec = app_module.load_named("champions_network", app_module.scenario_catalogue(BASELINE))
    wide = app_module.lever_ranges(spec.with_overrides(staff={**spec.staff.model_dump(),
                                                               "champions": 140}))
    assert wide["champions"].high == 140   # the range holds the scenario's own value


def test_layout_is_fixed_and_departments_are_apart(app_module):
    import numpy as np

    first = app_module.TeachingModel("baseline")
    second = app_module.TeachingModel("baseline", seed=9)
    assert np.array_equal(first.layout.clinicians, second.layout.clinicians)
    positions, department = first.layout.clinicians, first.population.department
    centres = np.array([positions[department == d].mean(axis=0)
                        for d in range(department.max() + 1)])
    spread = max(np.linalg.norm(positions[department == d] - centres[d], axis=1).max()
                 for d in range(len(centres)))
    gaps = [np.linalg.norm(a - b) for i, a in enumerate(centres) for b in centres[i + 1:]]
    assert min(gaps) > 2 * spread * 0.9, "department discs do not overlap"
    assert len(first.layout.labels) == len(centres)


def test_drawings_of_a_running_campaign(app_module):
    model = app_module.TeachingModel("hybrids_leave")
    for _ in range(11):  # past week 10, when half of the hybrids leave
        model.step()
    assert app_module.network_png(model).startswith(b"\x89PNG")
    assert app_module.curves_png(model).startswith(b"\x89PNG")
    text = app_module.headline_html(model)
    assert "Week 11 of 52" in text and "hybrids_leave" in text
    champions = app_module.TeachingModel("champions_network")
    assert app_module.network_png(champions).startswith(b"\x89PNG")
