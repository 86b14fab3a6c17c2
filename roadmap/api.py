"""REST API v1: roadmap items, alignments and dependencies (docs/api.md).

Serializers translate JSON to service arguments; the services decide.
"""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import IdFilter, ViewSetMixin, require, version_field
from okrs.selectors import key_results_visible_to
from portfolio.api import ScopedSerializer, members_visible_to
from portfolio.selectors import products_visible_to
from roadmap import services
from roadmap.models import Alignment, Dependency, Horizon, RoadmapItem
from roadmap.permissions import can_align, can_create_item, can_edit_item, can_manage_dependencies
from roadmap.selectors import (
    alignments_visible_to,
    dependencies_visible_to,
    roadmap_items_visible_to,
)

# Roadmap items --------------------------------------------------------------------------


class RoadmapItemFilter(django_filters.FilterSet):
    portfolio = IdFilter(field_name="product__portfolio_id")
    product = IdFilter(field_name="product_id")
    owner = IdFilter(field_name="owner_id")
    key_result = IdFilter(field_name="alignments__key_result_id", distinct=True)
    unaligned = django_filters.BooleanFilter(method="filter_unaligned")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = RoadmapItem
        fields = [
            "portfolio",
            "product",
            "owner",
            "status",
            "horizon",
            "is_archived",
            "key_result",
            "unaligned",
            "updated_since",
        ]

    def filter_unaligned(self, queryset, name, value):
        return queryset.filter(alignments__isnull=value).distinct()


class RoadmapItemSerializer(ScopedSerializer):
    scopes = {"product": products_visible_to, "owner": members_visible_to}
    key_results = serializers.SerializerMethodField(
        help_text="Ids of the key results this item is aligned to."
    )
    position = serializers.IntegerField(
        min_value=0,
        max_value=2**31 - 1,
        required=False,
        help_text="Index in its board column; the end of the column when left out.",
    )

    class Meta:
        model = RoadmapItem
        fields = [
            "id",
            "product",
            "title",
            "description",
            "owner",
            "status",
            "horizon",
            "starts_on",
            "ends_on",
            "effort",
            "position",
            "is_archived",
            "key_results",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["is_archived", "version", "created_at", "updated_at"]
        validators = []

    def get_key_results(self, item) -> list[int]:
        return [alignment.key_result_id for alignment in item.alignments.all()]


class RoadmapItemUpdateSerializer(RoadmapItemSerializer):
    position = serializers.IntegerField(read_only=True, help_text="Change it with /move/.")
    version = version_field()

    class Meta(RoadmapItemSerializer.Meta):
        read_only_fields = [*RoadmapItemSerializer.Meta.read_only_fields, "product"]


class MoveSerializer(serializers.Serializer):
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    position = serializers.IntegerField(min_value=0, max_value=2**31 - 1)


class RoadmapItemViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Roadmap items of your portfolios. The director and the product's owning PM create,
    edit, move, archive and restore them. Items are archived, never deleted."""

    filterset_class = RoadmapItemFilter
    ordering_fields = ["horizon", "position", "title", "starts_on", "ends_on", "updated_at"]

    def get_queryset(self):
        return (
            roadmap_items_visible_to(self.request.user)
            .select_related("product")
            .prefetch_related(
                Prefetch(
                    "alignments", queryset=Alignment.objects.only("id", "item_id", "key_result_id")
                )
            )
            .order_by("product_id", "horizon", "position", "id")
        )

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return RoadmapItemUpdateSerializer
        if self.action == "move":
            return MoveSerializer
        return RoadmapItemSerializer

    def _fresh(self, item):
        fresh = self.get_queryset().get(pk=item.pk)
        return RoadmapItemSerializer(fresh, context=self.get_serializer_context()).data

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(can_create_item(self.request.user, data["product"]))
        item = services.roadmap_item_create(**data)
        serializer.instance = self.get_queryset().get(pk=item.pk)

    def perform_update(self, serializer):
        require(can_edit_item(self.request.user, serializer.instance))
        data = dict(serializer.validated_data)
        item = services.roadmap_item_update(
            item=serializer.instance,
            actor=self.request.user,
            expected_version=data.pop("version", None),
            **data,
        )
        serializer.instance = self.get_queryset().get(pk=item.pk)

    @extend_schema(request=MoveSerializer, responses=RoadmapItemSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the card to `position` in the `horizon` column of its product's board."""
        item = self.get_object()
        move = MoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        require(can_edit_item(request.user, item))
        services.roadmap_item_move(item=item, actor=request.user, **move.validated_data)
        return Response(self._fresh(item))

    @extend_schema(request=None, responses=RoadmapItemSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Take the card off the board; its alignments and dependencies stay."""
        item = self.get_object()
        require(can_edit_item(request.user, item))
        services.roadmap_item_archive(item=item)
        return Response(self._fresh(item))

    @extend_schema(request=None, responses=RoadmapItemSerializer)
    @action(detail=True, methods=["post"])
    def unarchive(self, request, pk=None):
        """Put the card back at the end of its column."""
        item = self.get_object()
        require(can_edit_item(request.user, item))
        services.roadmap_item_unarchive(item=item)
        return Response(self._fresh(item))


# Alignments -----------------------------------------------------------------------------


class AlignmentFilter(django_filters.FilterSet):
    item = IdFilter(field_name="item_id")
    key_result = IdFilter(field_name="key_result_id")
    product = IdFilter(field_name="item__product_id")
    cycle = IdFilter(field_name="key_result__objective__cycle_id")

    class Meta:
        model = Alignment
        fields = ["item", "key_result", "product", "cycle"]


class AlignmentSerializer(ScopedSerializer):
    scopes = {"item": roadmap_items_visible_to, "key_result": key_results_visible_to}

    class Meta:
        model = Alignment
        fields = ["id", "item", "key_result", "note", "created_by", "created_at"]
        read_only_fields = ["created_by", "created_at"]
        extra_kwargs = {"note": {"required": False, "allow_blank": True}}
        validators = []


class AlignmentViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Which roadmap item serves which key result. The director and the owning PM align
    and unalign; to change a note, delete the alignment and create it again."""

    serializer_class = AlignmentSerializer
    filterset_class = AlignmentFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return (
            alignments_visible_to(self.request.user).select_related("item__product").order_by("id")
        )

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        item = (
            roadmap_items_visible_to(self.request.user)
            .select_related("product")
            .get(pk=data.pop("item").pk)
        )
        key_result = (
            key_results_visible_to(self.request.user)
            .select_related("objective__cycle")
            .get(pk=data.pop("key_result").pk)
        )
        require(can_align(self.request.user, item))
        alignment = services.alignment_create(
            item=item, key_result=key_result, created_by=self.request.user, **data
        )
        serializer.instance = alignment

    def perform_destroy(self, instance):
        require(can_align(self.request.user, instance.item))
        services.alignment_delete(alignment=instance)


# Dependencies ---------------------------------------------------------------------------


class DependencyFilter(django_filters.FilterSet):
    blocked_item = IdFilter(field_name="blocked_item_id")
    blocking_item = IdFilter(field_name="blocking_item_id")
    product = IdFilter(field_name="blocked_item__product_id")

    class Meta:
        model = Dependency
        fields = ["blocked_item", "blocking_item", "product"]


class DependencySerializer(ScopedSerializer):
    scopes = {"blocked_item": roadmap_items_visible_to, "blocking_item": roadmap_items_visible_to}

    class Meta:
        model = Dependency
        fields = ["id", "blocked_item", "blocking_item", "created_at"]
        read_only_fields = ["created_at"]
        extra_kwargs = {
            "blocked_item": {"help_text": "The item that waits."},
            "blocking_item": {"help_text": "The item it waits for."},
        }
        validators = []


class DependencyViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """`blocked_item` depends on `blocking_item`. The director and the owning PM of the
    blocked item's product add and remove them; a loop is refused."""

    serializer_class = DependencySerializer
    filterset_class = DependencyFilter
    ordering_fields = ["created_at", "id"]

    def get_queryset(self):
        return (
            dependencies_visible_to(self.request.user)
            .select_related("blocked_item__product")
            .order_by("id")
        )

    def perform_create(self, serializer):
        visible = roadmap_items_visible_to(self.request.user).select_related("product")
        blocked = visible.get(pk=serializer.validated_data["blocked_item"].pk)
        blocking = visible.get(pk=serializer.validated_data["blocking_item"].pk)
        require(can_manage_dependencies(self.request.user, blocked))
        serializer.instance = services.dependency_create(
            blocked_item=blocked, blocking_item=blocking
        )

    def perform_destroy(self, instance):
        require(can_manage_dependencies(self.request.user, instance.blocked_item))
        services.dependency_delete(dependency=instance)
