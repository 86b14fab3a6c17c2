from portfolio.selectors import memberships_of


def navigation(request):
    """The portfolios the signed-in person belongs to, for the header's switcher."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_memberships": memberships_of(user)}
