"""REST API v1: portfolios and products (docs/api.md).

Serializers translate JSON to service arguments; the services decide.
"""

import django_filters
from django.db.models import Case, IntegerField, Prefetch, Value, When
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import BoundedPrimaryKeyRelatedField, IdFilter, ViewSetMixin, require
from portfolio import services
from portfolio.models import Membership, Portfolio, Product
from portfolio.permissions import can_manage_portfolio, is_director
from portfolio.selectors import (
    ROLE_ORDER,
    portfolios_visible_to,
    products_visible_to,
    visible_portfolio_ids,
)
from teams.models import Team, User


def members_visible_to(user):
    """People of the person's portfolios: the candidates for an `owner` field."""
    if not user.is_authenticated:
        return User.objects.none()
    return User.objects.filter(memberships__portfolio_id__in=visible_portfolio_ids(user)).distinct()


class ScopedSerializer(serializers.ModelSerializer):
    """A serializer whose related fields only accept what the requesting person may see.

    `scopes` maps a field name to a selector taking the user; an id outside it is a 400
    ("Invalid pk"), the same answer as an id that does not exist.
    """

    scopes: dict = {}
    serializer_related_field = BoundedPrimaryKeyRelatedField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for name, selector in self.scopes.items():
            field = self.fields.get(name)
            if field is not None and not field.read_only and user is not None:
                field.queryset = selector(user)

    @property
    def user(self):
        return self.context["request"].user


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="user.id")
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.name")
    role = serializers.ChoiceField(choices=Membership._meta.get_field("role").choices)
    email = serializers.EmailField(
        source="user.email",
        required=False,
        help_text="Only shown to the portfolio's directors.",
    )


class PortfolioSerializer(serializers.ModelSerializer):
    members = serializers.SerializerMethodField()

    class Meta:
        model = Portfolio
        fields = ["id", "name", "slug", "description", "created_at", "members"]
        read_only_fields = ["created_at"]
        validators = []

    @extend_schema_field(MemberSerializer(many=True))
    def get_members(self, portfolio):
        user = self.context["request"].user
        show_email = is_director(user, portfolio)
        rows = []
        for membership in portfolio.memberships.all():
            row = MemberSerializer(membership).data
            if not show_email:
                row.pop("email", None)
            rows.append(row)
        return rows

    def get_fields(self):
        fields = super().get_fields()
        fields["slug"].validators = []
        return fields


class PortfolioViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The portfolios you are a member of. Directors may rename them; memberships are
    managed in the app, not through the API."""

    serializer_class = PortfolioSerializer
    ordering_fields = ["name", "created_at"]
    filterset_fields = {"slug": ["exact"]}

    def get_queryset(self):
        role_rank = Case(
            *(When(role=role, then=Value(rank)) for rank, role in enumerate(ROLE_ORDER)),
            default=Value(len(ROLE_ORDER)),
            output_field=IntegerField(),
        )
        members = (
            Membership.objects.select_related("user")
            .alias(role_rank=role_rank)
            .order_by("role_rank", "user__display_name", "user__username")
        )
        return (
            portfolios_visible_to(self.request.user)
            .prefetch_related(Prefetch("memberships", queryset=members))
            .order_by("name")
        )

    def perform_update(self, serializer):
        require(can_manage_portfolio(self.request.user, serializer.instance))
        portfolio = services.portfolio_update(
            portfolio=serializer.instance, **serializer.validated_data
        )
        serializer.instance = self.get_queryset().get(pk=portfolio.pk)


# Products ------------------------------------------------------------------------------


class ProductFilter(django_filters.FilterSet):
    portfolio = IdFilter(field_name="portfolio_id")
    owner = IdFilter(field_name="owner_id")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Product
        fields = ["portfolio", "owner", "is_archived", "slug", "updated_since"]


class ProductSerializer(ScopedSerializer):
    scopes = {"portfolio": portfolios_visible_to, "owner": members_visible_to}

    class Meta:
        model = Product
        fields = [
            "id",
            "portfolio",
            "name",
            "slug",
            "owner",
            "team",
            "description",
            "is_archived",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_archived", "created_at", "updated_at"]
        extra_kwargs = {
            "slug": {"required": False, "allow_blank": True, "help_text": "Made from the name."},
            "team": {"queryset": Team.objects.all()},
        }
        validators = []


class ProductUpdateSerializer(ProductSerializer):
    class Meta(ProductSerializer.Meta):
        read_only_fields = [*ProductSerializer.Meta.read_only_fields, "portfolio"]


class ProductViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Products of your portfolios. Directors create, edit, archive and restore them.
    A product is never deleted through the API: archive it."""

    filterset_class = ProductFilter
    ordering_fields = ["name", "created_at", "updated_at"]

    def get_queryset(self):
        return products_visible_to(self.request.user).select_related("portfolio").order_by("name")

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return ProductUpdateSerializer
        return ProductSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(can_manage_portfolio(self.request.user, data["portfolio"]))
        product = services.product_create(**data)
        serializer.instance = self.get_queryset().get(pk=product.pk)

    def perform_update(self, serializer):
        require(can_manage_portfolio(self.request.user, serializer.instance.portfolio_id))
        product = services.product_update(product=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=product.pk)

    def _archive(self, service):
        product = self.get_object()
        require(can_manage_portfolio(self.request.user, product.portfolio_id))
        service(product=product)
        return Response(ProductSerializer(product, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Archive the product: its roadmap becomes read-only."""
        return self._archive(services.product_archive)

    @extend_schema(request=None, responses=ProductSerializer)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        """Restore an archived product."""
        return self._archive(services.product_unarchive)
