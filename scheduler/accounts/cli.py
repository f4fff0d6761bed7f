"""Accounts and API tokens from the command line: flask --app scheduler create-user|invite-user|
create-token|revoke-token|list-tokens."""

import click
from flask.cli import with_appcontext

from ..errors import RequestError


@click.command("create-user")
@with_appcontext
@click.option("--email", required=True)
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="At least 10 characters; asked twice (hidden) when left out.",
)
@click.option("--role", type=click.Choice(["organizer", "editor"]), required=True)
@click.option("--society", "society_slug", help="Slug of the editor's society.")
@click.option("--name", default="")
def create_user(email, password, role, society_slug, name):
    """Create an organizer or a society editor with a password (the first organizer)."""
    from ..directory_input import write
    from .service import create_user as make_user

    try:
        user = write(make_user, email, password, role, society_slug, name)
    except RequestError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created {user.role.value} {user.email}")


@click.command("invite-user")
@with_appcontext
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["organizer", "editor"]), required=True)
@click.option("--society", "society_slug", default="", help="Slug of the editor's society.")
@click.option("--name", default="")
@click.option("--locale", type=click.Choice(["zh_CN", "en"]), default="zh_CN")
def invite_user(email, role, society_slug, name, locale):
    """Invite a user by e-mail; prints the one-time link too (for sites without SMTP)."""
    from ..directory_input import write
    from .service import invite_user as invite

    data = {"email": email, "role": role, "society": society_slug, "name": name,
            "locale": locale}  # fmt: skip
    try:
        user, url = write(invite, data, None)
    except RequestError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"invited {user.role.value} {user.email}; the link works once: {url}")


@click.command("create-token")
@with_appcontext
@click.option("--email", required=True)
@click.option("--name", default="cli", help="A label to tell tokens apart.")
def create_token(email, name):
    """Print a new API bearer token for a user (stored hashed; shown once)."""
    from .service import issue_token

    try:
        plain = issue_token(email, name)
    except RequestError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(plain)


@click.command("revoke-token")
@with_appcontext
@click.option("--prefix", required=True, help="The first characters of the token (sct_...).")
def revoke_token(prefix):
    """Revoke API tokens by their printed prefix (see list-tokens)."""
    from .service import revoke_tokens

    count = revoke_tokens(prefix)
    if not count:
        raise click.ClickException(f"no active token starts with {prefix!r}")
    click.echo(f"revoked {count} token(s)")


@click.command("list-tokens")
@with_appcontext
@click.option("--email", required=True)
def list_tokens(email):
    """Show a user's API tokens (prefix, name, created, last used, revoked)."""
    from .service import tokens_of

    for t in tokens_of(email):
        state = f"revoked {t.revoked_at:%Y-%m-%d}" if t.revoked_at else "active"
        used = f"{t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never"
        created = f"{t.created_at:%Y-%m-%d}"
        click.echo(f"{t.prefix}  {t.name or '-'}  created {created}  used {used}  {state}")


COMMANDS = (
    create_user,
    invite_user,
    create_token,
    revoke_token,
    list_tokens,
)
