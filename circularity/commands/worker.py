"""`circularity worker`: run the background jobs the web server queues."""

import logging
import sys
from urllib.parse import urlsplit

import click

from circularity import jobs
from circularity.commands.app import command_app


def describe(url: str) -> str:
    """Where the queue is, without a password a Redis URL may carry."""
    if url.startswith("sqlite:///"):
        return f"the SQLite file {url.removeprefix('sqlite:///')}"
    parts = urlsplit(url)
    return f"Redis at {parts.hostname}:{parts.port or 6379}{parts.path}"


@click.command("worker")
@click.option(
    "--threads",
    default=2,
    show_default=True,
    type=click.IntRange(min=1, max=64),
    help="Jobs run at the same time.",
)
def worker(threads: int) -> None:
    """Run background jobs (matching runs) from the app's task queue (JOBS_URL) until
    stopped with Ctrl+C or SIGTERM; a job already running is finished first."""
    app = command_app()
    queue = jobs.get_queue(app)
    if queue.immediate:
        click.echo(
            "error: JOBS_URL is immediate: every job runs in the request that starts it, "
            "so there is nothing for a worker to do.",
            err=True,
        )
        sys.exit(2)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    click.echo(
        f"Worker on {describe(app.config['JOBS_URL'])} with {threads} threads (Ctrl+C to stop)"
    )
    jobs.consumer(app, threads).run()
