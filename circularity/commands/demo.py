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
    _serve(app, host, port)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=8, show_default=True, type=int)
def serve(host: str, port: int, threads: int) -> None:
    """Serve the app with waitress, a production WSGI server (migrating the database first)."""
    app = command_app()
    migrate.upgrade(get_engine(app))
    _serve(app, host, port, threads)


def _serve(app, host: str, port: int, threads: int = 8) -> None:
    from waitress import serve as waitress_serve

    click.echo(f"Serving circularity on http://{host}:{port}/ (Ctrl+C to stop)")
    waitress_serve(app, host=host, port=port, threads=threads, ident="circularity")
