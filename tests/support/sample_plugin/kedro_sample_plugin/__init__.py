"""``kedro sample-ping``: sends one event through kedro-telemetry's public API."""

from __future__ import annotations

from pathlib import Path

import click


@click.group(name="kedro-sample-plugin")
def commands() -> None:
    """Commands of the sample plugin."""


@commands.command(name="sample-ping")
@click.option("--project", type=click.Path(path_type=Path), default=None)
@click.option("--bad", is_flag=True, help="Send a property of a refused type.")
def sample_ping(project: Path | None, bad: bool) -> None:
    """Report one ``Sample ping`` event and say whether it was queued."""
    import kedro_telemetry

    properties: dict[str, object] = {"plugin": "sample", "pings": 1}
    if bad:
        properties["nested"] = {"not": "allowed"}
    try:
        queued = kedro_telemetry.send_event(
            "Sample ping", properties, project_path=project
        )
    except (TypeError, ValueError) as error:
        click.echo(f"refused: {error}")
        raise SystemExit(3) from error
    click.echo(f"queued: {queued}")
