"""What the in-process benchmarks share: a seeded demo park to read and a logged-in test client.

bench/request_cost.py and bench/page_cost.py call the WSGI app directly, without HTTP, on a
SQLite copy of the demo park, seeded with the app's own command (or a given file brought to
the newest schema), and log in through the login form as a person would.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HIDDEN = re.compile(r'name="(csrf_token|client_event_id|version)" value="([^"]*)"')


def seeded_database(folder: Path, reuse: str | None) -> str:
    """A SQLite URL of the demo park in ``folder``: seeded anew, or a copy of ``reuse``."""
    target = folder / "park.sqlite"
    url = f"sqlite:///{target}"
    beside = Path(sys.executable).with_name("circularity")
    command = str(beside) if beside.exists() else "circularity"
    if reuse:
        shutil.copy(reuse, target)
    step = "init-db" if reuse else "seed-demo"  # a kept file is brought to the newest schema
    subprocess.run(
        [command, step],
        env={**os.environ, "DATABASE_URL": url},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return url


def log_in(client, email: str, password: str) -> None:
    """Log ``client`` in through the login form; exits if the login is refused."""
    page = client.get("/login").get_data(as_text=True)
    token = dict(HIDDEN.findall(page))["csrf_token"]
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    if response.status_code != 303:
        raise SystemExit(f"login as {email} answered {response.status_code}")
