"""Share links: the management page /p/<slug>/share-links/ and the public /share/<token>/."""

import datetime

from django import forms
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portfolio.selectors import portfolio_for, portfolio_page_context
from roadmap import services, sharing
from roadmap.board import requested_page
from roadmap.models import ShareLink
from roadmap.permissions import can_manage_share_links


class ShareLinkForm(forms.Form):
    product = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="What to share",
        empty_label="Whole portfolio roadmap",
    )
    label = forms.CharField(
        max_length=120,
        required=False,
        help_text="Who the link is for, e.g. “Board meeting” or “Partner: Initech”.",
    )
    expires_on = forms.DateField(
        required=False,
        label="Expires on",
        help_text="Optional. The link stops working at the end of this day.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, products, whole_portfolio: bool, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["product"]
        field.queryset = products
        if not whole_portfolio:
            field.required = True
            field.empty_label = None

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < timezone.localdate():
            raise ValidationError("Pick today or a later day.")
        return day

    @property
    def expires_at(self) -> datetime.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        end_of_day = datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(end_of_day)


def _form(request, portfolio, data=None) -> ShareLinkForm:
    products = sharing.manageable_products(request.user, portfolio)
    return ShareLinkForm(
        data,
        products=portfolio.products.filter(pk__in=[p.pk for p in products]).order_by("name"),
        whole_portfolio=can_manage_share_links(request.user, portfolio),
    )


def _may_manage_any(user, portfolio) -> bool:
    return can_manage_share_links(user, portfolio) or bool(
        sharing.manageable_products(user, portfolio)
    )


def _page(request, portfolio, *, form=None, new_link=None, token=None, status=200):
    context = {
        **portfolio_page_context(request.user, portfolio, "share_links"),
        "rows": sharing.share_link_rows(request.user, portfolio),
        "form": form or _form(request, portfolio),
        "new_link": new_link,
        "token": token,
        "share_url": request.build_absolute_uri(reverse("share_page", args=[token]))
        if token
        else None,
    }
    template = (
        "roadmap/share_links.html#share-links" if request.htmx else "roadmap/share_links.html"
    )
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    if token:
        # The token is shown exactly once: never let a cache keep it.
        add_never_cache_headers(response)
    return response


@require_http_methods(["GET", "POST"])
def share_links(request, slug):
    portfolio = portfolio_for(request.user, slug)
    if not _may_manage_any(request.user, portfolio):
        raise PermissionDenied
    if request.method == "GET":
        return _page(request, portfolio)
    form = _form(request, portfolio, request.POST)
    if not form.is_valid():
        return _page(request, portfolio, form=form, status=422 if request.htmx else 200)
    product = form.cleaned_data["product"]
    if not can_manage_share_links(request.user, portfolio, product):
        raise PermissionDenied
    try:
        link, token = services.share_link_create(
            portfolio=portfolio,
            product=product,
            label=form.cleaned_data["label"],
            expires_at=form.expires_at,
            created_by=request.user,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _page(request, portfolio, form=form)
    return _page(request, portfolio, new_link=link, token=token)


def _managed_link(request, slug, pk) -> tuple:
    portfolio = portfolio_for(request.user, slug)
    link = get_object_or_404(
        ShareLink.objects.select_related("product"), portfolio=portfolio, pk=pk
    )
    if not can_manage_share_links(request.user, portfolio, link.product):
        raise PermissionDenied
    return portfolio, link


@require_POST
def share_link_revoke(request, slug, pk):
    portfolio, link = _managed_link(request, slug, pk)
    services.share_link_revoke(link=link)
    if request.htmx:
        return _page(request, portfolio)
    return redirect("share_links", slug=portfolio.slug)


@require_POST
def share_link_recreate(request, slug, pk):
    portfolio, link = _managed_link(request, slug, pk)
    new_link, token = services.share_link_recreate(link=link, created_by=request.user)
    return _page(request, portfolio, new_link=new_link, token=token)


@login_not_required
@require_GET
def share_page(request, token):
    link = sharing.share_link_for_token(token)
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked.")
    services.share_link_record_view(link=link)
    response = render(request, "roadmap/share.html", sharing.shared_page_context(link, request.GET))
    return _public(response)


def _public(response):
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    add_never_cache_headers(response)
    return response


@login_not_required
@require_GET
def share_board_cards(request, token):
    """The next cards of one column of the shared board ("Show N more", htmx); without
    htmx, the share page at that page. Not counted as a view of the link."""
    link = sharing.share_link_for_token(token)
    if link is None:
        raise Http404("This link does not exist, has expired or was revoked.")
    requested = requested_page(request.GET)
    if requested is None:
        raise Http404("Choose a column and a page.")
    if not request.htmx:
        return redirect(f"{reverse('share_page', args=[token])}?{request.GET.urlencode()}")
    board = sharing.shared_board_context(link, request.GET, horizons=[requested[0]])
    context = {**board, "column": board["board_columns"][0]}
    response = render(request, "roadmap/_board.html#column-cards", context)
    patch_vary_headers(response, ["HX-Request"])
    return _public(response)
