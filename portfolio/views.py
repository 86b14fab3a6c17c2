"""The portfolios home page and portfolio administration (products, people, teams)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from portfolio import services
from portfolio.forms import MemberAddForm, MemberRoleForm, PortfolioCreateForm, ProductForm
from portfolio.permissions import can_manage_portfolio, forget_roles
from portfolio.selectors import (
    members_of,
    people_of,
    person_by_identifier,
    portfolio_cards_for,
    portfolio_for,
    portfolio_page_context,
    settings_products,
    teams_for_settings,
)
from teams import services as team_services
from teams.forms import TeamForm
from teams.models import Team, User


@require_GET
def home(request):
    """Your portfolios; someone in exactly one lands straight on its dashboard."""
    portfolios = list(portfolio_cards_for(request.user))
    if len(portfolios) == 1 and not request.user.is_staff:
        return redirect("dashboard", slug=portfolios[0].slug)
    return render(
        request,
        "portfolio/home.html",
        {"portfolios": portfolios, "can_create_portfolio": request.user.is_staff},
    )


# Helpers -----------------------------------------------------------------------------


def _managed_portfolio(request, slug):
    """The portfolio for its director; other members get 403, everyone else 404."""
    portfolio = portfolio_for(request.user, slug)
    if not can_manage_portfolio(request.user, portfolio):
        raise PermissionDenied
    return portfolio


def _settings_context(request, portfolio, section: str, **extra) -> dict:
    context = portfolio_page_context(request.user, portfolio, "settings")
    context["section"] = section
    context.update(extra)
    return context


def _show_errors(form, error: ValidationError) -> None:
    """A service's ValidationError, on the form's fields where it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# Products ----------------------------------------------------------------------------


def portfolio_settings(request, slug):
    """Products: the list, and a form to add one."""
    portfolio = _managed_portfolio(request, slug)
    form = ProductForm(request.POST or None, portfolio=portfolio)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(portfolio=portfolio, **form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"{product.name} is added to the portfolio.")
            return redirect("portfolio_settings", slug=portfolio.slug)
    context = _settings_context(
        request, portfolio, "products", products=list(settings_products(portfolio)), form=form
    )
    return render(request, "portfolio/settings.html", context)


def settings_product(request, slug, product_id):
    """One product: rename, change slug, description, product manager, team; archive."""
    portfolio = _managed_portfolio(request, slug)
    product = get_object_or_404(portfolio.products.select_related("owner", "team"), pk=product_id)
    initial = {
        "name": product.name,
        "slug": product.slug,
        "description": product.description,
        "owner": product.owner,
        "team": product.team,
    }
    form = ProductForm(portfolio=portfolio, initial=initial)
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in {"archive", "unarchive"}:
            archive = action == "archive"
            (services.product_archive if archive else services.product_unarchive)(product=product)
            state = "archived" if archive else "restored"
            messages.success(request, f"{product.name} is {state}.")
            return redirect("portfolio_settings", slug=portfolio.slug)
        form = ProductForm(request.POST, portfolio=portfolio, initial=initial)
        if form.is_valid():
            try:
                services.product_update(product=product, **form.cleaned_data)
            except ValidationError as error:
                _show_errors(form, error)
            else:
                messages.success(request, f"{product.name} is saved.")
                return redirect("portfolio_settings", slug=portfolio.slug)
    context = _settings_context(request, portfolio, "products", product=product, form=form)
    return render(request, "portfolio/settings_product.html", context)


# People ------------------------------------------------------------------------------


def _people_context(request, portfolio, form, row_errors=None) -> dict:
    memberships = list(members_of(portfolio))
    return _settings_context(
        request,
        portfolio,
        "people",
        memberships=memberships,
        form=form,
        role_choices=MemberRoleForm.base_fields["role"].choices,
        row_errors=row_errors or {},
    )


@vary_on_headers("HX-Request")
def settings_people(request, slug):
    """Members and their roles; add someone by e-mail or username (invite the new)."""
    portfolio = _managed_portfolio(request, slug)
    form = MemberAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        identifier = form.cleaned_data["identifier"].strip()
        role = form.cleaned_data["role"]
        person = person_by_identifier(identifier)
        try:
            if person is not None:
                services.membership_set(portfolio=portfolio, user=person, role=role)
                note = f"{person.name} is now a member of {portfolio.name}."
            elif "@" in identifier:
                membership = services.member_invite(
                    portfolio=portfolio,
                    email=identifier,
                    role=role,
                    invited_by=request.user,
                    base_url=_base_url(request),
                )
                note = f"{membership.user.email} is invited: they get an e-mail to set a password."
            else:
                raise ValidationError(
                    {
                        "identifier": f"No one uses the username “{identifier}”. "
                        "Enter their e-mail address to invite them."
                    }
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "email" in error.error_dict:
                error = ValidationError({"identifier": error.error_dict["email"]})
            _show_errors(form, error)
        else:
            messages.success(request, note)
            return redirect("settings_people", slug=portfolio.slug)
    return render(
        request, "portfolio/settings_people.html", _people_context(request, portfolio, form)
    )


@require_POST
@vary_on_headers("HX-Request")
def settings_member(request, slug, user_id):
    """Change a member's role (`action=role`) or take them out of the portfolio."""
    portfolio = _managed_portfolio(request, slug)
    person = get_object_or_404(User, pk=user_id, memberships__portfolio=portfolio)
    action = request.POST.get("action", "role")
    row_errors = {}
    try:
        if action == "remove":
            services.membership_remove(portfolio=portfolio, user=person)
            note = f"{person.name} is no longer a member of {portfolio.name}."
        else:
            role_form = MemberRoleForm(request.POST)
            if not role_form.is_valid():
                raise ValidationError("Choose one of the roles.")
            services.membership_set(
                portfolio=portfolio, user=person, role=role_form.cleaned_data["role"]
            )
            note = f"{person.name}’s role is saved."
    except ValidationError as error:
        row_errors[person.pk] = " ".join(error.messages)
    else:
        forget_roles(request.user)
        if not can_manage_portfolio(request.user, portfolio):
            # The director changed their own role: the settings are no longer theirs.
            messages.success(request, note)
            if request.htmx:
                return HttpResponseClientRedirect(reverse("home"))
            return redirect("home")
        if not request.htmx:
            messages.success(request, note)
            return redirect("settings_people", slug=portfolio.slug)
    context = _people_context(request, portfolio, MemberAddForm(), row_errors)
    context["status_note"] = None if row_errors else note
    if request.htmx:
        response = render(request, "portfolio/settings_people.html#people-table", context)
        if not row_errors:
            response["HX-Trigger"] = "membershipChanged"
        return response
    return render(request, "portfolio/settings_people.html", context, status=400)


# Teams -------------------------------------------------------------------------------


def settings_teams(request, slug):
    """Teams (organisation-wide): the list, and a form to add one."""
    portfolio = _managed_portfolio(request, slug)
    people = people_of(portfolio)
    form = TeamForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        try:
            team = team_services.team_create(**form.cleaned_data)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"The team {team.name} is created.")
            return redirect("settings_teams", slug=portfolio.slug)
    context = _settings_context(
        request, portfolio, "teams", teams=list(teams_for_settings(portfolio)), form=form
    )
    return render(request, "portfolio/settings_teams.html", context)


def settings_team(request, slug, team_id):
    """One team: name, discipline, lead and the members chosen from the portfolio's people."""
    portfolio = _managed_portfolio(request, slug)
    team = get_object_or_404(Team.objects.select_related("lead"), pk=team_id)
    people = people_of(portfolio)
    current = list(team.members.all())
    initial = {
        "name": team.name,
        "discipline": team.discipline,
        "lead": team.lead,
        "members": current,
    }
    form = TeamForm(request.POST or None, people=people, initial=initial)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        # Only this portfolio's people are offered: members from elsewhere stay.
        offered = set(people.values_list("pk", flat=True))
        fields["members"] = [*fields["members"], *(u for u in current if u.pk not in offered)]
        if fields["lead"] is not None and fields["lead"] not in fields["members"]:
            fields["members"].append(fields["lead"])
        try:
            team_services.team_update(team=team, **fields)
        except ValidationError as error:
            _show_errors(form, error)
        else:
            messages.success(request, f"The team {team.name} is saved.")
            return redirect("settings_teams", slug=portfolio.slug)
    context = _settings_context(request, portfolio, "teams", team=team, form=form)
    return render(request, "portfolio/settings_team.html", context)


# New portfolio -----------------------------------------------------------------------


def portfolio_create(request):
    """Staff only: a new portfolio and its director (an existing person or an invitation)."""
    if not request.user.is_staff:
        raise PermissionDenied
    form = PortfolioCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        identifier = data.pop("director").strip()
        director = person_by_identifier(identifier)
        try:
            if director is not None:
                portfolio = services.portfolio_create(director=director, **data)
            elif "@" in identifier:
                portfolio = services.portfolio_create_inviting_director(
                    director_email=identifier,
                    invited_by=request.user,
                    base_url=_base_url(request),
                    **data,
                )
            else:
                raise ValidationError(
                    {
                        "director": f"No one uses the username “{identifier}”. "
                        "Enter their e-mail address to invite them."
                    }
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "email" in error.error_dict:
                error = ValidationError({"director": error.error_dict["email"]})
            _show_errors(form, error)
        else:
            messages.success(request, f"The portfolio {portfolio.name} is created.")
            forget_roles(request.user)
            if can_manage_portfolio(request.user, portfolio):
                return redirect("portfolio_settings", slug=portfolio.slug)
            return redirect("home")
    return render(request, "portfolio/settings_new_portfolio.html", {"form": form})


# Invitations -------------------------------------------------------------------------


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Set a first password from the invitation link; the link then stops working."""

    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    # Several authentication backends are configured (django-axes first).
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Welcome to Lodestar: your password is set.")
        return response


invitation_accept = login_not_required(InvitationAcceptView.as_view())
