"""Commands that work on the app's database: init-db, create-user, verify, labels, demo."""

import sys
from pathlib import Path

import click
from flask import Flask

from circularity import create_app, migrate
from circularity.db import get_engine
from circularity.roles import ROLES
from circularity.services import accounts
from circularity.services.analysis import monthly_totals
from circularity.services.custody import chain, labels, reads
from circularity.services.errors import ServiceError


def command_app() -> Flask:
    """The app for one command; its database connections close when the command ends."""
    app = create_app()
    click.get_current_context().call_on_close(get_engine(app).dispose)
    return app


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("init-db")
def init_db() -> None:
    """Create the database or bring it to the newest schema."""
    app = command_app()
    migrate.upgrade(get_engine(app))
    click.echo(f"Database ready: {_safe_url(app)}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--company", "company_id", type=int, default=None, help="Company id (staff only).")
@click.password_option()
def create_user(email, name, role, company_id, password) -> None:
    """Create an account (the first admin, say)."""
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        try:
            user = accounts.create_user(
                get_session(),
                email=email,
                name=name,
                password=password,
                role=role,
                company_id=company_id,
            )
        except ServiceError as error:
            _fail(f"{error.field}: {error.message}")
        click.echo(f"Created {user.role} {user.email}")


@click.command("verify")
@click.option(
    "--rebuild-totals",
    is_flag=True,
    help="Recompute the dashboard's monthly totals from the event log before checking them.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also check the log against this signed checkpoint (circularity checkpoint).",
)
@click.option(
    "--key",
    default=None,
    help="Check the checkpoint's signature with this public key (or a file holding it) "
    "instead of the park's own.",
)
def verify(rebuild_totals: bool, checkpoint_file: Path | None, key: str | None) -> None:
    """Walk the event chain and name the first altered, missing or reordered event; check
    every batch row and the dashboard's monthly totals against the event log, and with
    --checkpoint that the log still holds every event a signed checkpoint pinned."""
    from circularity.commands.records import read_text, verifier_from
    from circularity.services.custody import checkpoints

    note = read_text(checkpoint_file, "checkpoint") if checkpoint_file else None
    trusted = verifier_from(key) if key else None
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        session = get_session()
        result = chain.verify(session)
        if result.ok and rebuild_totals:
            monthly_totals.rebuild(session)
        stale = monthly_totals.differences(session) if result.ok else []
        try:
            pinned = checkpoints.check(session, note, trusted) if note else None
        except ServiceError as error:
            _fail(f"{error.field}: {error.message}")
    failed = False
    if not result.ok:
        click.echo(f"BROKEN after {result.events} intact events: {result.problem}", err=True)
        failed = True
    else:
        click.echo(
            f"OK: {result.events} events, every hash intact; "
            f"{result.batches} batch rows agree with the events."
        )
    if pinned is not None:
        if pinned.ok:
            signed = pinned.checkpoint
            click.echo(
                f"OK: the {signed.size} events the checkpoint of "
                f"{signed.time:%Y-%m-%d %H:%M} UTC signed are all there, unchanged."
            )
        else:
            click.echo(f"CHECKPOINT FAILS: {pinned.problem}", err=True)
            failed = True
    if failed:
        sys.exit(1)
    if stale:
        # The totals are derived data: the log is intact, so rebuilding them repairs them.
        click.echo(
            f"{len(stale)} dashboard totals differ from the event log; "
            "run `circularity verify --rebuild-totals`.",
            err=True,
        )
        sys.exit(1)


@click.command("labels")
@click.argument("codes", nargs=-1, required=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("labels.pdf"),
    show_default=True,
)
def labels_command(codes, output: Path) -> None:
    """Write an A4 PDF sheet of labels for the batches with these CODES."""
    app = command_app()
    with app.app_context(), app.test_request_context():
        from circularity.db import get_session
        from circularity.models import User

        reader = User(email="cli", name="cli", password_hash="", role="admin")
        try:
            data = reads.label_data(get_session(), reader, list(codes))
        except ServiceError as error:
            _fail(f"{error.field}: {error.message}")
    output.write_bytes(labels.pdf(data))
    click.echo(f"Wrote {len(data)} labels to {output}")


def _safe_url(app: Flask) -> str:
    url = get_engine(app).url
    return url.render_as_string(hide_password=True)


@click.command("epcis")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.option(
    "--since",
    "since_seq",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Only events after this sequence number.",
)
def epcis_command(output: Path | None, since_seq: int) -> None:
    """Export the event log as an EPCIS 2.0 JSON document."""
    import json

    from circularity.services.custody import epcis

    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        text = json.dumps(epcis.export(get_session(), since_seq), ensure_ascii=False, indent=1)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"Wrote {output}", err=True)
