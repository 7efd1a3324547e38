"""A live server and a phone-sized Chromium whose camera films a label.

The browser tests drive Debian's Chromium through Playwright, never a downloaded browser.
Without Chromium they are skipped on a developer's machine, but in CI (CI=true) a missing
browser fails them: the scan path is the app's main use and must not pass silently.
"""

import io
import os
import shutil
import threading
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from PIL import Image
from werkzeug.serving import make_server

from circularity import create_app
from circularity.db import get_engine
from circularity.extensions import limiter

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
VIDEO_SIZE = (640, 480)
# Chromium loops the file; ten frames at 10 fps give the scanner a steady picture.
VIDEO_FRAMES = 10


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives a real Chromium against a live server")


@pytest.fixture(scope="session")
def chromium() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


class LiveServer:
    """The app served by werkzeug on a free loopback port, in a background thread."""

    def __init__(self, database_url: str):
        self.app = create_app(
            {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "browser secret"}
        )
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        # The label's QR code must point at this server, so BASE_URL follows the port.
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self.app.config["BASE_URL"] = self.url
        with self.app.app_context():
            limiter.reset()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        get_engine(self.app).dispose()


@pytest.fixture
def live_server(database_url):
    server = LiveServer(database_url)
    server.start()
    yield server
    server.stop()


def write_y4m(png: bytes, path: Path) -> None:
    """A still video of the label for Chromium's fake camera (YUV 4:2:0, JPEG range)."""
    label = Image.open(io.BytesIO(png)).convert("RGB")
    label.thumbnail((VIDEO_SIZE[0] - 40, VIDEO_SIZE[1] - 40))
    canvas = Image.new("RGB", VIDEO_SIZE, (235, 235, 230))
    canvas.paste(label, ((VIDEO_SIZE[0] - label.width) // 2, (VIDEO_SIZE[1] - label.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (VIDEO_SIZE[0] // 2, VIDEO_SIZE[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{VIDEO_SIZE[0]} H{VIDEO_SIZE[1]} F10:1 Ip A1:1 C420jpeg\n"
    path.write_bytes(header.encode() + frame * VIDEO_FRAMES)


def chromium_args(video: Path | None) -> list[str]:
    args = [
        "--no-sandbox",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-gpu",
        "--disable-quic",
    ]
    if video is not None:
        args.append(f"--use-file-for-fake-video-capture={video}")
    return args


class ForeignRequests:
    """Aborts and remembers every request to a host off this machine."""

    def __init__(self):
        self.seen: list[str] = []

    def __call__(self, route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOOPBACK_HOSTS:
            self.seen.append(url)
            route.abort()
        else:
            route.continue_()


class Phone:
    """What a test drives: the page, and the foreign requests that were stopped."""

    def __init__(self, page, foreign: ForeignRequests):
        self.page = page
        self.foreign = foreign


@pytest.fixture
def open_phone(chromium, live_server):
    """open_phone(video) launches Chromium filming ``video`` with a phone-sized page.

    The camera file must exist before launch, and the label in it must carry the live
    server's address, so tests create their batch first and then open the phone. The
    browser is closed whatever the test does.
    """
    from playwright.sync_api import sync_playwright

    with ExitStack() as stack:

        def launch(video: Path | None = None) -> Phone:
            playwright = stack.enter_context(sync_playwright())
            browser = playwright.chromium.launch(
                executable_path=chromium, args=chromium_args(video)
            )
            stack.callback(browser.close)
            context = browser.new_context(
                viewport={"width": 360, "height": 740},
                is_mobile=True,
                has_touch=True,
                device_scale_factor=2,
            )
            stack.callback(context.close)
            context.grant_permissions(["camera"], origin=live_server.url)
            foreign = ForeignRequests()
            context.route("**/*", foreign)
            # Generous: the wasm decoder compiles slowly when the test suite runs in parallel.
            context.set_default_timeout(30_000)
            return Phone(context.new_page(), foreign)

        yield launch
