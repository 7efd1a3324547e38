"""Regenerate the README's screenshots from a live demo park.

Runs ``circularity demo`` on a free loopback port with a throwaway SQLite file, then drives
Debian's Chromium (``CHROMIUM``, default /usr/bin/chromium) through Playwright:

- batches.png: the batch list as management, desktop width;
- batch.png: a batch page with its history, as staff of the company holding it;
- scan.png: the scan page on a 360 x 740 phone whose fake camera films a label;
- label.png: a label exactly as the app renders it;
- register.png: the register form on a phone;
- batches-zh.png: the batch list as management, in Chinese (a browser asking for zh-CN);
- batch-zh.png: a batch page on a phone, in Chinese;
- dashboard-de.png: the dashboard as management, in German (a browser asking for de-DE).

Each PNG is kept under about 250 KB, quantised to a palette when a screenshot is larger.
The demo's vehicle plates and the Chinese pages need a CJK font (Debian's fonts-wqy-zenhei
or fonts-noto-cjk); without one Chromium draws empty boxes in their place.

    .venv/bin/python docs/screenshots/make_screenshots.py
"""

import io
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from circularity import create_app
from circularity.commands.demo_park import DEMO_PASSWORD, SITES
from circularity.db import get_engine, get_session
from circularity.models import Batch, Company, EventBatch

HERE = Path(__file__).resolve().parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
MAX_BYTES = 250_000
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 860}}
VIDEO_SIZE = (640, 480)
# The scan page would read the label and leave at once; a detector that never finds a code
# keeps it on screen in its usual state, aiming at the label.
BLIND_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect() { return []; }
};
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 180) -> None:
    """The first start seeds the park, which takes a while."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"circularity demo exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    sys.exit("circularity demo did not answer in time")


def pick_batch(database_url: str) -> tuple[str, str]:
    """The held batch with the longest history, and the login of its holder's staff."""
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "screenshots"})
    keys = {}
    with app.app_context():
        session = get_session()
        for site in SITES:
            company = session.exec(select(Company).where(Company.name == site.name)).first()
            if company is not None:
                keys[company.id] = site.key
        events = func.count(EventBatch.id)
        code, company_id = session.exec(
            select(Batch.code, Batch.company_id)
            .join(EventBatch, EventBatch.batch_id == Batch.id)
            .where(Batch.status == "held")
            .group_by(Batch.id)
            .order_by(events.desc(), Batch.id)
        ).first()
    get_engine(app).dispose()
    return code, keys[company_id]


def save(png: bytes, name: str) -> None:
    """Write the screenshot, quantised to a palette if it would be too large."""
    path = HERE / name
    if len(png) > MAX_BYTES:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        out = io.BytesIO()
        image.quantize(colors=128, method=Image.Quantize.MEDIANCUT).save(out, "PNG", optimize=True)
        png = out.getvalue()
    path.write_bytes(png)
    print(f"{path.name}: {len(png) / 1000:.0f} KB")


def write_y4m(png: bytes, path: Path) -> None:
    """A still video of the label for Chromium's fake camera, as the browser test makes it."""
    label = Image.open(io.BytesIO(png)).convert("RGB")
    label.thumbnail((VIDEO_SIZE[0] - 40, VIDEO_SIZE[1] - 40))
    canvas = Image.new("RGB", VIDEO_SIZE, (235, 235, 230))
    canvas.paste(label, ((VIDEO_SIZE[0] - label.width) // 2, (VIDEO_SIZE[1] - label.height) // 2))
    y, cb, cr = canvas.convert("YCbCr").split()
    half = (VIDEO_SIZE[0] // 2, VIDEO_SIZE[1] // 2)
    frame = b"FRAME\n" + y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    header = f"YUV4MPEG2 W{VIDEO_SIZE[0]} H{VIDEO_SIZE[1]} F10:1 Ip A1:1 C420jpeg\n"
    path.write_bytes(header.encode() + frame * 10)


def log_in(context, url: str, email: str):
    page = context.new_page()
    page.goto(f"{url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("form.stack button")
    page.wait_for_url(f"{url}/")
    return page


def shoot(url: str, folder: Path, database_url: str) -> None:
    from playwright.sync_api import sync_playwright

    code, staff = pick_batch(database_url)
    staff_email = f"{staff}@demo.circularity"
    args = [
        "--no-sandbox",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-gpu",
    ]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            context = browser.new_context(**DESKTOP)
            page = log_in(context, url, "management@demo.circularity")
            save(page.screenshot(), "batches.png")
            context.close()

            context = browser.new_context(**DESKTOP)
            page = log_in(context, url, staff_email)
            page.goto(f"{url}/b/{code}")
            save(page.screenshot(full_page=True), "batch.png")
            label = page.request.get(f"{url}/b/{code}/label.png").body()
            save(label, "label.png")
            context.close()

            context = browser.new_context(**PHONE, device_scale_factor=2)
            page = log_in(context, url, staff_email)
            page.goto(f"{url}/batches/new")
            save(page.screenshot(full_page=True), "register.png")
            context.close()

            # The language comes from the browser's Accept-Language, as on a person's phone.
            context = browser.new_context(**DESKTOP, locale="zh-CN")
            page = log_in(context, url, "management@demo.circularity")
            save(page.screenshot(), "batches-zh.png")
            context.close()

            context = browser.new_context(**PHONE, device_scale_factor=2, locale="zh-CN")
            page = log_in(context, url, staff_email)
            page.goto(f"{url}/b/{code}")
            save(page.screenshot(), "batch-zh.png")
            context.close()

            context = browser.new_context(**DESKTOP, locale="de-DE")
            page = log_in(context, url, "management@demo.circularity")
            page.goto(f"{url}/dashboard/")
            save(page.screenshot(), "dashboard-de.png")
            context.close()
        finally:
            browser.close()

        video = folder / "label.y4m"
        write_y4m(label, video)
        camera = [
            *args,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=camera)
        try:
            context = browser.new_context(**PHONE, device_scale_factor=2)
            context.grant_permissions(["camera"], origin=url)
            context.add_init_script(BLIND_DETECTOR)
            page = log_in(context, url, staff_email)
            page.click("a.scan-link")
            # Polled from here: wait_for_function's page-side polling evaluates a string,
            # which the site's Content-Security-Policy (no eval) refuses.
            for _ in range(100):
                if page.evaluate("document.getElementById('camera').readyState") >= 2:
                    break
                page.wait_for_timeout(100)
            page.wait_for_timeout(500)
            save(page.screenshot(), "scan.png")
            context.close()
        finally:
            browser.close()


def main() -> None:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        sys.exit(f"Chromium not found at {CHROMIUM}: apt-get install -y chromium")
    command = Path(sys.executable).with_name("circularity")
    with tempfile.TemporaryDirectory(prefix="circularity-shots-") as tmp:
        folder = Path(tmp)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        database_url = f"sqlite:///{folder / 'demo.sqlite'}"
        env = {**os.environ, "DATABASE_URL": database_url, "BASE_URL": url}
        env["SECRET_KEY"] = "screenshots"
        server = subprocess.Popen(
            [str(command if command.exists() else "circularity"), "demo", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_until_up(url, server)
            shoot(url, folder, database_url)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
