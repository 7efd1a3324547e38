"""Commands that prove the records: checkpoint, public-key, prove and check-proof.

``check-proof`` opens no database and builds no app: an auditor runs it with the proof file,
the checkpoint they were given and the park's published public key.
"""

import json
import sys
from pathlib import Path

import click

# Files these commands read are small text; anything larger is not one of them.
MAX_FILE_BYTES = 4 * 1024 * 1024


def fail(message: str, status: int = 2) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def read_text(path: Path, what: str) -> str:
    """A small UTF-8 file's text, or exit 2 with one line naming the file."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        fail(f"{path}: cannot read the {what}: {error.strerror}")
    if len(data) > MAX_FILE_BYTES:
        fail(f"{path}: the {what} is larger than any {what} can be")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: the {what} is not UTF-8 text")


def write_text(output: Path | None, text: str) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        fail(f"{output}: cannot write: {error.strerror}")
    click.echo(f"Wrote {output}", err=True)


def verifier_from(value: str):
    """A verifier key given as the key itself or as a file holding it."""
    from circularity.services.custody import signed_note

    text = value
    if "+" not in value or Path(value).is_file():
        text = read_text(Path(value), "public key")
    try:
        return signed_note.parse_vkey(text)
    except signed_note.NoteError as error:
        fail(f"public key: {error}")


OUTPUT = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write to this file instead of standard output.",
)


@click.command("checkpoint")
@OUTPUT
def checkpoint_command(output: Path | None) -> None:
    """Verify the event log, sign its head and record the signed checkpoint."""
    from circularity.commands.app import command_app
    from circularity.services.custody import checkpoints
    from circularity.services.errors import Conflict, ServiceError

    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        try:
            row = checkpoints.create(get_session())
        except Conflict as error:
            fail(error.message, 1)
        except ServiceError as error:
            fail(f"{error.field}: {error.message}")
    write_text(output, row.note)
    click.echo(f"Signed checkpoint of {row.tree_size} events.", err=True)


@click.command("public-key")
def public_key() -> None:
    """Print the verifier key of the checkpoint signatures, to publish (C2SP vkey format)."""
    from circularity.commands.app import command_app
    from circularity.services.custody import checkpoints
    from circularity.services.errors import ServiceError

    app = command_app()
    with app.app_context():
        try:
            click.echo(checkpoints.verifier().vkey())
        except ServiceError as error:
            fail(f"{error.field}: {error.message}")


@click.command("prove")
@click.argument("seq", type=click.IntRange(min=1))
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Prove against this signed checkpoint instead of the latest recorded one.",
)
@OUTPUT
def prove(seq: int, checkpoint_file: Path | None, output: Path | None) -> None:
    """Write the inclusion proof of event SEQ against a checkpoint, as JSON."""
    from circularity.commands.app import command_app
    from circularity.services.custody import checkpoints
    from circularity.services.errors import ServiceError

    note = read_text(checkpoint_file, "checkpoint") if checkpoint_file else None
    app = command_app()
    with app.app_context():
        from circularity.db import get_session

        try:
            document = checkpoints.prove(get_session(), seq, note)
        except ServiceError as error:
            fail(f"{error.field}: {error.message}", 1 if error.status == 409 else 2)
    write_text(output, json.dumps(document, ensure_ascii=False, indent=1) + "\n")


@click.command("check-proof")
@click.argument("proof", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key",
    "key",
    required=True,
    help="The log's public key (circularity public-key), or a file holding it.",
)
@click.option(
    "--checkpoint",
    "checkpoint_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="The signed checkpoint you hold; without it, the one inside the proof.",
)
def check_proof(proof: Path, key: str, checkpoint_file: Path | None) -> None:
    """Check an inclusion proof with the public key alone: no database is opened.

    Exit status 0 when the event is in the log the checkpoint signed, 1 when the proof does
    not hold, 2 for a file that cannot be read.
    """
    from circularity.services.custody import proofs

    trusted = verifier_from(key)
    note = read_text(checkpoint_file, "checkpoint") if checkpoint_file else None
    try:
        document = json.loads(read_text(proof, "proof"))
    except ValueError:
        fail(f"{proof}: the proof is not JSON")
    try:
        proven = proofs.check_proof(document, trusted, note)
    except proofs.ProofError as error:
        fail(f"{proof}: {error}", 1)
    payload, signed = proven.payload, proven.checkpoint
    click.echo(
        f"OK: event {proven.seq} ({payload.get('circ:operation')}, {payload.get('eventTime')}) "
        f"is in the log of the {signed.size} events of {signed.origin} signed "
        f"{signed.time:%Y-%m-%d %H:%M} UTC."
    )
