"""``thermal-sar users``: manage the live server's users."""

from __future__ import annotations

import click

_DB = click.option("--db", default="thermal-sar.db", show_default=True, help="SQLite file or PostgreSQL URL.")


@click.group("users")
def users() -> None:
    """Add, list and remove users of the live server."""


@users.command("add")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(["officer", "ground", "viewer", "ingest"]),
              help="officer: review and assign; ground: a field team; viewer: read only; ingest: the pipeline (gets a token).")
@click.option("--password", default=None, help="Password (prompted when omitted; not for role ingest).")
@_DB
def add(username, role, password, db) -> None:
    """Create USERNAME with ROLE."""
    from thermal_sar.pipelines.maps import add_user

    if role != "ingest" and password is None:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    user, token = add_user(db, username, role, password)
    click.echo(f"added {user['username']} ({user['role']})")
    if token:
        click.echo(f"token (shown once; send as 'Authorization: Bearer <token>'): {token}")


@users.command("list")
@_DB
def list_(db) -> None:
    """List users and roles."""
    from maps.store import open_store

    with open_store(db, create=False) as store:
        for u in store.list_users():
            click.echo(f"{u['username']}\t{u['role']}")


@users.command("remove")
@click.argument("username")
@_DB
def remove(username, db) -> None:
    """Remove USERNAME and end its sessions."""
    from thermal_sar.pipelines.maps import remove_user

    remove_user(db, username)
    click.echo(f"removed {username}")


@users.command("passwd")
@click.argument("username")
@click.option("--password", default=None, help="New password (prompted when omitted).")
@_DB
def passwd(username, password, db) -> None:
    """Set a new password for USERNAME; its open sessions end (within 30 s on a running server)."""
    from thermal_sar.pipelines.maps import set_password

    if password is None:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True)
    set_password(db, username, password)
    click.echo(f"password of {username} changed")


@users.command("token")
@click.argument("username")
@_DB
def token(username, db) -> None:
    """Issue a new bearer token for the ingest user USERNAME (the old one stops working)."""
    from thermal_sar.pipelines.maps import rotate_token

    click.echo(f"token (shown once): {rotate_token(db, username)}")
