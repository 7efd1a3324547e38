"""`circularity credit`, `import-factors` and `import-inventory`: the carbon balance from cron.

Booking is idempotent, so `circularity credit` can run nightly and after every import without
booking anything twice. A bad import file exits with status 2 and one line per bad row.
"""

import sys
from pathlib import Path

import click
from sqlmodel import select

from circularity.commands.app import command_app
from circularity.models import User
from circularity.roles import can
from circularity.services.carbon import balance, credits, factors
from circularity.services.carbon.csvfiles import RejectedFile
from circularity.services.errors import ServiceError


def _fail(error: ServiceError) -> None:
    click.echo(f"error: {error.field}: {error.message}", err=True)
    for problem in getattr(error, "problems", []):
        click.echo(f"row {problem.row}, {problem.column or '-'}: {problem.problem}", err=True)
    sys.exit(2)


def _manager(session, email: str) -> User:
    user = session.exec(select(User).where(User.email == email)).first()
    if user is None or not can(user, "carbon") or not user.active:
        click.echo(f"error: user: {email} is not an active management or admin account", err=True)
        sys.exit(2)
    return user


@click.command("credit")
@click.option("--recalculate", "factor_set", default=None, help="Recalculate with this set.")
@click.option("--note", default="", help="Why (required with a recalculation; recorded).")
@click.option("--user", "email", default=None, help="Account recorded with the run.")
def credit(factor_set: str | None, note: str, email: str | None) -> None:
    """Book credits for closed batches not yet in the ledger (or recalculate all of them)."""
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        session = get_session()
        user = _manager(session, email) if email else None
        kept, refused = [], {}
        try:
            if factor_set:
                result = credits.recalculate(session, user, factor_set, note)
                run, kept = result.run, result.kept
            else:
                booking = credits.book(session, user)
                run, refused = booking.run, booking.refused
        except ServiceError as error:
            _fail(error)
    click.echo(f"{run.entries if run else 0} ledger entries written.")
    if kept:
        reasons = ", ".join(sorted({r for a in kept for r in a.reasons}))
        click.echo(
            f"{len(kept)} credits could not be priced with {factor_set} ({reasons}) and keep "
            "their earlier set: the ledger now mixes sets (shown on /carbon/credits).",
            err=True,
        )
    if refused:
        why = ", ".join(f"{reason} {n}" for reason, n in refused.items())
        click.echo(f"Closed batches that cannot be credited, by reason: {why}.")


@click.command("import-factors")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--key", required=True)
@click.option("--name", required=True)
@click.option("--edition", required=True)
@click.option("--source", required=True, help="The citation: publisher, title, table.")
@click.option("--licence", required=True)
@click.option("--base", default="", help="Set whose factors fill kinds this one lacks.")
@click.option("--user", "email", required=True, help="Management or admin account.")
@click.option("--confirm", is_flag=True, help="Accept factors beyond any material's bound.")
def import_factors(file: Path, key, name, edition, source, licence, base, email, confirm) -> None:
    """Import a factor set from FILE (CSV: material, kind, route, value, unit[, source])."""
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        session = get_session()
        user = _manager(session, email)
        try:
            library = factors.import_set(
                session,
                user,
                key=key,
                name=name,
                edition=edition,
                source=source,
                licence=licence,
                base=base,
                data=file.read_bytes(),
                confirmed=confirm,
            )
        except (RejectedFile, ServiceError) as error:
            _fail(error)
    click.echo(f"Imported {len(library.factors)} factors as {library.key} ({library.edition}).")


@click.command("import-inventory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", "email", required=True, help="Management or admin account.")
@click.option("--confirm", is_flag=True, help="Accept figures beyond any district's bound.")
def import_inventory(file: Path, email: str, confirm: bool) -> None:
    """Import district emissions from FILE (CSV: area, year, month, tco2e[, source])."""
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        session = get_session()
        user = _manager(session, email)
        try:
            count = balance.import_inventory(session, user, file.read_bytes(), confirmed=confirm)
        except ServiceError as error:
            _fail(error)
    click.echo(f"Imported {count} inventory figures.")
