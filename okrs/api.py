"""REST API v1: cycles, objectives, key results and check-ins (docs/api.md).

Serializers translate JSON to service arguments; the services decide. Status is derived
when read (DESIGN.md §5): `?status=` turns the thresholds of `okrs.progress.status` into
one SQL condition per visible cycle, so filtering stays in the database and pagination
stays exact.
"""

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api import (
    MAX_ID,
    BatchValidationError,
    IdFilter,
    NewestFirstPagination,
    ViewSetMixin,
    require,
    version_field,
)
from okrs import services
from okrs.models import CheckIn, Cycle, KeyResult, Objective
from okrs.permissions import (
    can_check_in,
    can_create_key_result,
    can_create_objective,
    can_edit_key_result,
    can_edit_objective,
    can_manage_cycles,
)
from okrs.progress import Status
from okrs.selectors import (
    check_ins_visible_to,
    cycles_visible_to,
    key_results_visible_to,
    objectives_visible_to,
)
from okrs.status import expected_progress, status_condition, status_of
from portfolio.api import ScopedSerializer, members_visible_to
from portfolio.selectors import portfolios_visible_to, products_visible_to

# Derived status -------------------------------------------------------------------------


def filter_by_status(queryset, status_value: str, cycle_field: str, *, with_confidence=False):
    """Rows whose derived status is `status_value`; one query reads the cycles involved."""
    cycles = Cycle.objects.filter(pk__in=queryset.values(cycle_field)).only(
        "id", "starts_on", "ends_on"
    )
    condition = Q(pk__in=[])
    for cycle in cycles:
        expected = expected_progress(cycle)
        condition |= Q(**{cycle_field: cycle.pk}) & status_condition(
            status_value, expected, with_confidence=with_confidence
        )
    return queryset.filter(condition)


STATUS_CHOICES = [(item.value, item.label) for item in Status]


class StatusField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=STATUS_CHOICES, read_only=True, **kwargs)


# Cycles ---------------------------------------------------------------------------------


class CycleFilter(django_filters.FilterSet):
    portfolio = IdFilter(field_name="portfolio_id")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Cycle
        fields = ["portfolio", "state", "updated_since"]


class CycleSerializer(ScopedSerializer):
    scopes = {"portfolio": portfolios_visible_to}
    expected = serializers.SerializerMethodField(
        help_text="How far through the cycle today is, 0–1."
    )

    class Meta:
        model = Cycle
        fields = [
            "id",
            "portfolio",
            "name",
            "starts_on",
            "ends_on",
            "state",
            "progress",
            "expected",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["progress", "created_at", "updated_at"]
        validators = []

    @extend_schema_field(serializers.FloatField())
    def get_expected(self, cycle) -> float:
        return expected_progress(cycle)


class CycleUpdateSerializer(CycleSerializer):
    class Meta(CycleSerializer.Meta):
        read_only_fields = [*CycleSerializer.Meta.read_only_fields, "portfolio"]


class CycleViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Cycles of your portfolios. Directors create and edit them, and close them with
    `POST /cycles/{id}/close/` (which freezes every score). Cycles are never deleted."""

    filterset_class = CycleFilter
    ordering_fields = ["starts_on", "ends_on", "name", "updated_at"]

    def get_queryset(self):
        return cycles_visible_to(self.request.user).order_by("-starts_on", "id")

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return CycleUpdateSerializer
        return CycleSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(can_manage_cycles(self.request.user, data["portfolio"]))
        cycle = services.cycle_create(**data)
        serializer.instance = self.get_queryset().get(pk=cycle.pk)

    def perform_update(self, serializer):
        require(can_manage_cycles(self.request.user, serializer.instance.portfolio_id))
        cycle = services.cycle_update(cycle=serializer.instance, **serializer.validated_data)
        serializer.instance = self.get_queryset().get(pk=cycle.pk)

    @extend_schema(request=None, responses=CycleSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close the cycle: every objective's and key result's final score is frozen."""
        cycle = self.get_object()
        require(can_manage_cycles(request.user, cycle.portfolio_id))
        services.cycle_close(cycle=cycle)
        fresh = self.get_queryset().get(pk=cycle.pk)
        return Response(CycleSerializer(fresh, context=self.get_serializer_context()).data)


# Objectives -----------------------------------------------------------------------------


class ObjectiveFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="cycle_id")
    product = IdFilter(field_name="product_id")
    owner = IdFilter(field_name="owner_id")
    parent = IdFilter(field_name="parent_id")
    portfolio_level = django_filters.BooleanFilter(field_name="product", lookup_expr="isnull")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Objective
        fields = ["cycle", "product", "owner", "parent", "kind", "portfolio_level", "status"]

    def filter_status(self, queryset, name, value):
        return filter_by_status(queryset, value, "cycle_id")


class ObjectiveSerializer(ScopedSerializer):
    scopes = {
        "cycle": cycles_visible_to,
        "product": products_visible_to,
        "parent": objectives_visible_to,
        "owner": members_visible_to,
    }
    status = serializers.SerializerMethodField()

    class Meta:
        model = Objective
        fields = [
            "id",
            "cycle",
            "product",
            "parent",
            "depth",
            "owner",
            "title",
            "description",
            "kind",
            "weight",
            "rollup_children",
            "position",
            "progress",
            "status",
            "final_score",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "depth",
            "position",
            "progress",
            "final_score",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {"product": {"help_text": "Empty for a portfolio-level objective."}}
        validators = []

    @extend_schema_field(serializers.ChoiceField(choices=STATUS_CHOICES))
    def get_status(self, objective) -> str:
        return status_of(objective.progress, expected_progress(objective.cycle)).value


class ObjectiveUpdateSerializer(ObjectiveSerializer):
    version = version_field()

    class Meta(ObjectiveSerializer.Meta):
        read_only_fields = [
            "cycle",
            "product",
            "depth",
            "progress",
            "final_score",
            "created_at",
            "updated_at",
        ]


class ObjectiveViewSet(ViewSetMixin, viewsets.ModelViewSet):
    """Objectives of your portfolios. Portfolio-level ones are the director's; a product's
    also its owning product manager's. Deleting an objective deletes its key results."""

    filterset_class = ObjectiveFilter
    ordering_fields = ["position", "title", "progress", "updated_at", "depth"]

    def get_queryset(self):
        return (
            objectives_visible_to(self.request.user)
            .select_related("cycle", "product")
            .order_by("cycle_id", "depth", "position", "id")
        )

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return ObjectiveUpdateSerializer
        return ObjectiveSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(can_create_objective(self.request.user, data["cycle"], data.get("product")))
        objective = services.objective_create(**data)
        serializer.instance = self.get_queryset().get(pk=objective.pk)

    def perform_update(self, serializer):
        require(can_edit_objective(self.request.user, serializer.instance))
        data = dict(serializer.validated_data)
        objective = services.objective_update(
            objective=serializer.instance, expected_version=data.pop("version", None), **data
        )
        serializer.instance = self.get_queryset().get(pk=objective.pk)

    def perform_destroy(self, instance):
        require(can_edit_objective(self.request.user, instance))
        services.objective_delete(objective=instance)


# Key results ----------------------------------------------------------------------------


class KeyResultFilter(django_filters.FilterSet):
    cycle = IdFilter(field_name="objective__cycle_id")
    product = IdFilter(field_name="objective__product_id")
    objective = IdFilter(field_name="objective_id")
    owner = IdFilter(field_name="owner_id")
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, method="filter_status")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = KeyResult
        fields = ["cycle", "product", "objective", "owner", "measure", "status"]

    def filter_status(self, queryset, name, value):
        return filter_by_status(queryset, value, "objective__cycle_id", with_confidence=True)


class KeyResultSerializer(ScopedSerializer):
    scopes = {"objective": objectives_visible_to, "owner": members_visible_to}
    status = serializers.SerializerMethodField()

    class Meta:
        model = KeyResult
        fields = [
            "id",
            "objective",
            "owner",
            "title",
            "description",
            "measure",
            "unit",
            "start_value",
            "target_value",
            "current_value",
            "weight",
            "position",
            "confidence",
            "last_checked_in_at",
            "progress",
            "forecast",
            "status",
            "final_score",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "position",
            "current_value",
            "confidence",
            "last_checked_in_at",
            "progress",
            "forecast",
            "final_score",
            "created_at",
            "updated_at",
        ]
        validators = []

    @extend_schema_field(serializers.ChoiceField(choices=STATUS_CHOICES))
    def get_status(self, key_result) -> str:
        expected = expected_progress(key_result.objective.cycle)
        return status_of(key_result.progress, expected, key_result.confidence).value


class KeyResultUpdateSerializer(KeyResultSerializer):
    version = version_field()

    class Meta(KeyResultSerializer.Meta):
        read_only_fields = [
            "objective",
            *(f for f in KeyResultSerializer.Meta.read_only_fields if f != "position"),
        ]


class KeyResultViewSet(ViewSetMixin, viewsets.ModelViewSet):
    """Key results of your portfolios; editable by whoever may edit their objective.
    `?status=off_track` lists the key results that need attention."""

    filterset_class = KeyResultFilter
    ordering_fields = ["position", "title", "progress", "updated_at", "last_checked_in_at"]

    def get_queryset(self):
        return (
            key_results_visible_to(self.request.user)
            .select_related("objective__cycle", "objective__product")
            .order_by("objective_id", "position", "id")
        )

    def get_serializer_class(self):
        if self.action in {"update", "partial_update"}:
            return KeyResultUpdateSerializer
        return KeyResultSerializer

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        require(can_create_key_result(self.request.user, data["objective"]))
        key_result = services.key_result_create(**data)
        serializer.instance = self.get_queryset().get(pk=key_result.pk)

    def perform_update(self, serializer):
        require(can_edit_key_result(self.request.user, serializer.instance))
        data = dict(serializer.validated_data)
        key_result = services.key_result_update(
            key_result=serializer.instance, expected_version=data.pop("version", None), **data
        )
        serializer.instance = self.get_queryset().get(pk=key_result.pk)

    def perform_destroy(self, instance):
        require(can_edit_key_result(self.request.user, instance))
        services.key_result_delete(key_result=instance)


# Check-ins ------------------------------------------------------------------------------


class CheckInFilter(django_filters.FilterSet):
    key_result = IdFilter(field_name="key_result_id")
    cycle = IdFilter(field_name="key_result__objective__cycle_id")
    product = IdFilter(field_name="key_result__objective__product_id")
    author = IdFilter(field_name="author_id")
    since = django_filters.IsoDateTimeFilter(field_name="checked_in_at", lookup_expr="gte")

    class Meta:
        model = CheckIn
        fields = ["key_result", "cycle", "product", "author", "since"]


class CheckInSerializer(ScopedSerializer):
    scopes = {"key_result": key_results_visible_to}
    confidence = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True
    )
    checked_in_at = serializers.DateTimeField(
        required=False, help_text="When the value was measured; now when left out."
    )

    class Meta:
        model = CheckIn
        fields = ["id", "key_result", "author", "value", "confidence", "note", "checked_in_at"]
        read_only_fields = ["author"]
        extra_kwargs = {"note": {"required": False, "allow_blank": True}}
        validators = []


def _plain(fields) -> dict[str, list[str]]:
    if not isinstance(fields, dict):
        return {"non_field_errors": [str(message) for message in fields]}
    return {name: [str(message) for message in messages] for name, messages in fields.items()}


class BulkCheckInEntrySerializer(serializers.Serializer):
    key_result = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    value = serializers.DecimalField(max_digits=18, decimal_places=4)
    confidence = serializers.IntegerField(
        min_value=0, max_value=10, required=False, allow_null=True
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    checked_in_at = serializers.DateTimeField(required=False)


class BulkCheckInResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    check_ins = CheckInSerializer(many=True)


class CheckInViewSet(
    ViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Check-ins are append-only: create and read, never edit or delete (a correction is
    a new check-in). Each one rolls up exactly like a check-in from the page."""

    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter
    pagination_class = NewestFirstPagination
    # Always newest first (no `?ordering=`): the cursor pages along `checked_in_at`.
    filter_backends = [DjangoFilterBackend]

    def get_queryset(self):
        return check_ins_visible_to(self.request.user).order_by("-checked_in_at", "-id")

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        key_result = (
            key_results_visible_to(self.request.user)
            .select_related("objective__cycle", "objective__product")
            .get(pk=data.pop("key_result").pk)
        )
        require(can_check_in(self.request.user, key_result))
        serializer.instance = services.check_in_create(
            key_result=key_result, author=self.request.user, **data
        )

    @extend_schema(
        request=BulkCheckInEntrySerializer(many=True),
        responses={201: BulkCheckInResultSerializer},
        description=(
            f"Up to {services.MAX_BULK_CHECK_INS} check-ins, stored all or none. Errors "
            "name each bad entry by its index in `error.items`. Roll-ups run once per "
            "key result after the batch commits."
        ),
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Check in many key results at once (a nightly metrics push)."""
        entries = BulkCheckInEntrySerializer(data=request.data, many=True)
        if not isinstance(request.data, list):
            raise serializers.ValidationError(
                {"non_field_errors": ["Send a JSON array of check-ins."]}
            )
        if len(request.data) > services.MAX_BULK_CHECK_INS:
            raise serializers.ValidationError(
                {
                    "non_field_errors": [
                        f"Send at most {services.MAX_BULK_CHECK_INS} check-ins at once."
                    ]
                }
            )
        if not request.data:
            raise serializers.ValidationError({"non_field_errors": ["The list is empty."]})
        if not entries.is_valid():
            errors = entries.errors
            if isinstance(errors, list):  # older DRF: one dict per entry
                errors = dict(enumerate(errors))
            raise BatchValidationError(
                {int(index): _plain(fields) for index, fields in errors.items() if fields}
            )
        wanted = {entry["key_result"] for entry in entries.validated_data}
        key_results = (
            key_results_visible_to(request.user)
            .select_related("objective__cycle", "objective__product")
            .in_bulk(wanted)
        )
        unknown, forbidden, prepared = {}, {}, []
        for index, entry in enumerate(entries.validated_data):
            key_result = key_results.get(entry["key_result"])
            if key_result is None:
                unknown[index] = {"key_result": ["There is no key result with this id."]}
            elif not can_check_in(request.user, key_result):
                forbidden[index] = {"key_result": ["You may not check in this key result."]}
            else:
                prepared.append({**entry, "key_result": key_result})
        if unknown:
            raise BatchValidationError(unknown)
        if forbidden:
            raise BatchValidationError(
                forbidden,
                detail="Nothing was saved: you may not check in some of these key results.",
                code="permission_denied",
                status_code=status.HTTP_403_FORBIDDEN,
            )
        try:
            created = services.check_in_create_bulk(author=request.user, entries=prepared)
        except services.CheckInBatchError as error:
            raise BatchValidationError(error.item_errors) from error
        body = {
            "created": len(created),
            "check_ins": CheckInSerializer(
                created, many=True, context=self.get_serializer_context()
            ).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)
