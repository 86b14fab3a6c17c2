"""Every write to people and teams goes through here (STYLE.md: services)."""

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from teams.models import Team, User

TEAM_FIELDS = frozenset({"name", "discipline", "lead", "members"})


@transaction.atomic
def user_create(
    *, username: str, email: str = "", display_name: str = "", password: str | None = None
) -> User:
    """A person with a usable password when one is given, else one who cannot sign in yet."""
    user = User(
        username=username,
        email=User.objects.normalize_email(email or ""),
        display_name=display_name,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def team_create(
    *,
    name: str,
    discipline: str,
    lead: User | None = None,
    members: Iterable[User] = (),
) -> Team:
    team = Team(name=name, discipline=discipline, lead=lead)
    team.full_clean()
    team.save()
    members = list(members)
    if lead is not None and lead not in members:
        members.append(lead)
    if members:
        team.members.set(members)
    return team


@transaction.atomic
def team_update(*, team: Team, **fields) -> Team:
    """Change `name`, `discipline`, `lead` and/or `members` (replaces the member list)."""
    unknown = set(fields) - TEAM_FIELDS
    if unknown:
        raise TypeError(f"team_update() got unexpected fields: {', '.join(sorted(unknown))}")
    members = fields.pop("members", None)
    for name, value in fields.items():
        setattr(team, name, value)
    try:
        team.full_clean()
    except ValidationError:
        if fields:
            team.refresh_from_db(fields=list(fields))
        raise
    team.save()
    if members is not None:
        team.members.set(members)
    return team


def username_from_email(email: str) -> str:
    """A free username made from the address's local part: "ada.l", then "ada.l-2"…"""
    local = email.split("@", 1)[0].lower()
    base = re.sub(r"[^\w.+-]", "", local)[:140] or "person"
    taken = set(User.objects.filter(username__istartswith=base).values_list("username", flat=True))
    taken = {username.lower() for username in taken}
    username, suffix = base, 2
    while username in taken:
        username, suffix = f"{base}-{suffix}", suffix + 1
    return username


@transaction.atomic
def user_invite(*, email: str, display_name: str = "") -> User:
    """A person who cannot sign in until they set a password through their invitation."""
    email = User.objects.normalize_email(email.strip())
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": "Someone already uses this e-mail address."})
    return user_create(username=username_from_email(email), email=email, display_name=display_name)
