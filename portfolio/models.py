from django.conf import settings
from django.db import models


class Portfolio(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Role(models.TextChoices):
    DIRECTOR = "director", "Director"
    PRODUCT_MANAGER = "product_manager", "Product manager"
    CONTRIBUTOR = "contributor", "Contributor"
    STAKEHOLDER = "stakeholder", "Stakeholder"


class MembershipQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user) if user.is_authenticated else self.none()


class Membership(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "user"],
                name="portfolio_membership_unique_user",
                violation_error_message="This person is already a member of the portfolio.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="portfolio_membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.portfolio}"


class ProductQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_archived=False)

    def in_portfolio(self, portfolio):
        return self.filter(portfolio=portfolio)

    def owned_by(self, user):
        return self.filter(owner=user)


class Product(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.CASCADE, related_name="products")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_products",
        help_text="The product manager who owns this product.",
    )
    team = models.ForeignKey(
        "teams.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="products"
    )
    description = models.TextField(blank=True)
    is_archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "slug"],
                name="portfolio_product_unique_slug",
                violation_error_message="Another product in this portfolio already uses this slug.",
            ),
        ]

    def __str__(self):
        return self.name
