"""Every write to portfolios, memberships and products goes through here (STYLE.md: services).

Each service validates before it writes and raises `ValidationError` with a message a
person can act on; on bad input nothing changes in the database.
"""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify

from portfolio.models import Membership, Portfolio, Product, Role
from portfolio.permissions import forget_roles
from teams import services as team_services
from teams.models import Team, User

PORTFOLIO_FIELDS = frozenset({"name", "slug", "description"})
PRODUCT_FIELDS = frozenset({"name", "slug", "owner", "team", "description"})
PRODUCT_OWNER_ROLES = frozenset({Role.PRODUCT_MANAGER, Role.DIRECTOR})
# Room left in a 60-character slug for a "-2", "-3"… suffix.
SLUG_BASE_LENGTH = 50


def _full_clean(instance: models.Model, errors: dict | None = None) -> None:
    """`full_clean()`, reporting its errors together with any found beforehand."""
    errors = dict(errors or {})
    try:
        instance.full_clean()
    except ValidationError as error:
        errors = error.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def _refuse_unknown_fields(service: str, fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{service}() got unexpected fields: {', '.join(sorted(unknown))}")


def _lock_portfolio(portfolio: Portfolio) -> None:
    """Serialise membership changes of one portfolio, so two directors cannot both leave."""
    Portfolio.objects.select_for_update().filter(pk=portfolio.pk).order_by().values_list("pk").get()


# Portfolios --------------------------------------------------------------------------


@transaction.atomic
def portfolio_create(
    *, name: str, slug: str, description: str = "", director: User | None = None
) -> Portfolio:
    portfolio = Portfolio(name=name, slug=slug, description=description)
    _full_clean(portfolio)
    portfolio.save()
    if director is not None:
        membership = Membership(portfolio=portfolio, user=director, role=Role.DIRECTOR)
        _full_clean(membership)
        membership.save()
        forget_roles(director)
    return portfolio


@transaction.atomic
def portfolio_update(*, portfolio: Portfolio, **fields) -> Portfolio:
    """Change `name`, `slug` and/or `description`."""
    _refuse_unknown_fields("portfolio_update", fields, PORTFOLIO_FIELDS)
    for name, value in fields.items():
        setattr(portfolio, name, value)
    try:
        _full_clean(portfolio)
    except ValidationError:
        portfolio.refresh_from_db(fields=list(fields))
        raise
    portfolio.save()
    return portfolio


# Memberships -------------------------------------------------------------------------


def _refuse_if_last_director(membership: Membership, message: str, field: str | None) -> None:
    if membership.role != Role.DIRECTOR:
        return
    other_directors = Membership.objects.filter(
        portfolio_id=membership.portfolio_id, role=Role.DIRECTOR
    ).exclude(pk=membership.pk)
    if not other_directors.exists():
        raise ValidationError({field: message} if field else message)


@transaction.atomic
def membership_set(*, portfolio: Portfolio, user: User, role: str) -> Membership:
    """Add the person to the portfolio with `role`, or change the role they have."""
    if role not in Role.values:
        choices = ", ".join(label.lower() for label in Role.labels)
        raise ValidationError({"role": f"“{role}” is not a role. Choose one of: {choices}."})
    _lock_portfolio(portfolio)
    membership = Membership.objects.filter(portfolio=portfolio, user=user).first()
    if membership is None:
        membership = Membership(portfolio=portfolio, user=user, role=role)
    elif membership.role == role:
        return membership
    else:
        _refuse_if_last_director(
            membership,
            f"{user} is the last director of {portfolio}. "
            "Make someone else a director before changing their role.",
            field="role",
        )
        membership.role = role
    _full_clean(membership)
    membership.save()
    forget_roles(user)
    return membership


@transaction.atomic
def membership_remove(*, portfolio: Portfolio, user: User) -> None:
    """Take the person out of the portfolio; their check-ins and history stay."""
    _lock_portfolio(portfolio)
    membership = Membership.objects.filter(portfolio=portfolio, user=user).first()
    if membership is None:
        return
    _refuse_if_last_director(
        membership,
        f"{user} is the last director of {portfolio}. "
        "Make someone else a director before removing them.",
        field=None,
    )
    membership.delete()
    forget_roles(user)


# Products ----------------------------------------------------------------------------


def _owner_errors(portfolio_id: int, owner: User | None) -> dict:
    if owner is None:
        return {}
    role = (
        Membership.objects.filter(portfolio_id=portfolio_id, user=owner)
        .values_list("role", flat=True)
        .first()
    )
    if role in PRODUCT_OWNER_ROLES:
        return {}
    return {
        "owner": f"{owner} cannot own a product here: the owner must be a product manager "
        "or director of this portfolio."
    }


def unique_product_slug(portfolio: Portfolio, name: str, *, exclude: Product | None = None) -> str:
    """`slugify(name)`, suffixed -2, -3… until no other product of the portfolio uses it."""
    base = slugify(name)[:SLUG_BASE_LENGTH].strip("-") or "product"
    taken = Product.objects.filter(portfolio=portfolio, slug__startswith=base)
    if exclude is not None and exclude.pk is not None:
        taken = taken.exclude(pk=exclude.pk)
    taken_slugs = set(taken.values_list("slug", flat=True))
    slug, suffix = base, 2
    while slug in taken_slugs:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


@transaction.atomic
def product_create(
    *,
    portfolio: Portfolio,
    name: str,
    slug: str = "",
    owner: User | None = None,
    team: Team | None = None,
    description: str = "",
) -> Product:
    """A product; an empty `slug` is made from the name, unique within the portfolio."""
    product = Product(
        portfolio=portfolio, name=name, owner=owner, team=team, description=description
    )
    product.slug = slug or unique_product_slug(portfolio, name)
    _full_clean(product, _owner_errors(portfolio.pk, owner))
    product.save()
    return product


@transaction.atomic
def product_update(*, product: Product, **fields) -> Product:
    """Change any of `name`, `slug`, `owner`, `team`, `description`.

    An empty `slug` is made again from the (new) name.
    """
    _refuse_unknown_fields("product_update", fields, PRODUCT_FIELDS)
    for name, value in fields.items():
        setattr(product, name, value)
    if "slug" in fields and not fields["slug"]:
        product.slug = unique_product_slug(product.portfolio, product.name, exclude=product)
    errors = _owner_errors(product.portfolio_id, product.owner) if "owner" in fields else {}
    try:
        _full_clean(product, errors)
    except ValidationError:
        product.refresh_from_db(fields=list(fields))
        raise
    product.save()
    return product


@transaction.atomic
def product_archive(*, product: Product) -> Product:
    product.is_archived = True
    product.save(update_fields=["is_archived", "updated_at"])
    return product


@transaction.atomic
def product_unarchive(*, product: Product) -> Product:
    product.is_archived = False
    product.save(update_fields=["is_archived", "updated_at"])
    return product


# Invitations -------------------------------------------------------------------------


def invitation_url(*, user: User, base_url: str) -> str:
    """The one-time link with which an invited person sets their password.

    Django's password-reset token: it stops working once the password is set (the
    token hashes the password), and after `PASSWORD_RESET_TIMEOUT`.
    """
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("invitation_accept", kwargs={"uidb64": uidb64, "token": token})
    return base_url.rstrip("/") + path


def invitation_send(
    *, user: User, portfolio: Portfolio, role: str, invited_by: User | None, base_url: str
) -> None:
    """E-mail the person a link to set their password and join the portfolio."""
    context = {
        "user": user,
        "portfolio": portfolio,
        "role": Role(role).label.lower(),
        "invited_by": invited_by,
        "url": invitation_url(user=user, base_url=base_url),
        "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    subject = f"You are invited to {portfolio.name} on Lodestar"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/invitation.txt", context),
        to=[user.email],
    )
    message.attach_alternative(render_to_string("emails/invitation.html", context), "text/html")
    message.send()


@transaction.atomic
def member_invite(
    *,
    portfolio: Portfolio,
    email: str,
    role: str,
    invited_by: User | None = None,
    base_url: str,
) -> Membership:
    """Create an account for a new person, add them with `role` and e-mail the invitation.

    The e-mail goes once the transaction commits, so a refused membership sends nothing.
    """
    user = team_services.user_invite(email=email)
    membership = membership_set(portfolio=portfolio, user=user, role=role)
    transaction.on_commit(
        lambda: invitation_send(
            user=user, portfolio=portfolio, role=role, invited_by=invited_by, base_url=base_url
        )
    )
    return membership


@transaction.atomic
def portfolio_create_inviting_director(
    *,
    name: str,
    slug: str,
    description: str = "",
    director_email: str,
    invited_by: User | None = None,
    base_url: str,
) -> Portfolio:
    """A new portfolio whose director has no account yet: create it and invite them."""
    portfolio = portfolio_create(name=name, slug=slug, description=description)
    member_invite(
        portfolio=portfolio,
        email=director_email,
        role=Role.DIRECTOR,
        invited_by=invited_by,
        base_url=base_url,
    )
    return portfolio
