"""Commands that run the app: the demo park, seeding it, and the production server."""

import sys
import time

import click

from circularity import migrate
from circularity.commands.app import command_app
from circularity.db import get_engine, get_session


def _seed(app) -> dict[str, str]:
    from circularity.commands import demo_park

    with app.app_context():
        return demo_park.seed(get_session())


def _print_logins(logins: dict[str, str]) -> None:
    from circularity.commands.demo_park import DEMO_PASSWORD

    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for key in ("admin", "management", "coordinator", "steel", "recyc", "cement"):
        click.echo(f"  {key:<12} {logins[key]}")
    click.echo("  ... and <company>@demo.circularity for every company's staff.")


@click.command("seed-demo")
def seed_demo() -> None:
    """Create the schema and seed the demo park into an empty database."""
    app = command_app()
    migrate.upgrade(get_engine(app))
    started = time.perf_counter()
    try:
        logins = _seed(app)
    except ValueError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    click.echo(f"Seeded the demo park in {time.perf_counter() - started:.1f} s.")
    _print_logins(logins)


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def demo(host: str, port: int) -> None:
    """Create the database, seed the demo park if it is empty, print the logins and serve."""
    app = command_app()
    migrate.upgrade(get_engine(app))
    from sqlmodel import select

    from circularity.models import Company

    with app.app_context():
        empty = get_session().exec(select(Company)).first() is None
    if empty:
        click.echo("Seeding the demo park (once)...")
        logins = _seed(app)
    else:
        from circularity.commands.demo_park import SITES

        logins = {s.key: f"{s.key}@demo.circularity" for s in SITES}
        logins.update({r: f"{r}@demo.circularity" for r in ("admin", "management", "coordinator")})
    _print_logins(logins)
    _serve(app, host, port, job_threads=1)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
@click.option(
    "--jobs",
    "job_threads",
    default=0,
    show_default=True,
    type=click.IntRange(min=0, max=64),
    help="Also run background jobs in this process, in this many threads "
    "(0: `circularity worker` runs them).",
)
def serve(host: str, port: int, threads: int, job_threads: int) -> None:
    """Serve the app with waitress, a production WSGI server (migrating the database first)."""
    app = command_app()
    migrate.upgrade(get_engine(app))
    _serve(app, host, port, threads, job_threads)


def _serve(app, host: str, port: int, threads: int = 8, job_threads: int = 0) -> None:
    """Serve until Ctrl+C; with ``job_threads``, a worker of the app's queue runs beside the
    server in this process (the demo needs no second command)."""
    from waitress import serve as waitress_serve

    from circularity import jobs

    consumer = jobs.start_in_process(app, job_threads) if job_threads else None
    click.echo(f"Serving circularity on http://{host}:{port}/ (Ctrl+C to stop)")
    try:
        waitress_serve(app, host=host, port=port, threads=threads, ident="circularity")
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
