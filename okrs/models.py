from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

# Metric values: 14 integer digits and 4 decimals is room for any real KPI
# (revenue in cents, users, latency) while refusing absurd input.
METRIC_DIGITS = {"max_digits": 18, "decimal_places": 4}
WEIGHT_DIGITS = {"max_digits": 6, "decimal_places": 2}
MAX_NOTE_LENGTH = 2000


def progress_field(**kwargs):
    return models.FloatField(validators=[MinValueValidator(0.0), MaxValueValidator(1.0)], **kwargs)


def progress_in_range(field: str, name: str, *, nullable: bool = True) -> models.CheckConstraint:
    condition = Q(**{f"{field}__gte": 0.0, f"{field}__lte": 1.0})
    if nullable:
        condition |= Q(**{f"{field}__isnull": True})
    return models.CheckConstraint(condition=condition, name=name)


def confidence_in_range(name: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=10),
        name=name,
        violation_error_message="Confidence is a whole number from 0 to 10.",
    )


class CycleState(models.TextChoices):
    PLANNING = "planning", "Planning"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class CycleQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state=CycleState.ACTIVE)

    def in_portfolio(self, portfolio):
        return self.filter(portfolio=portfolio)


class Cycle(models.Model):
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="cycles"
    )
    name = models.CharField(max_length=60, help_text="For example “2027 Q1”.")
    starts_on = models.DateField()
    ends_on = models.DateField()
    state = models.CharField(max_length=16, choices=CycleState.choices, default=CycleState.PLANNING)
    progress = progress_field(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__lt=F("ends_on")),
                name="okrs_cycle_starts_before_it_ends",
                violation_error_message="A cycle must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=CycleState.values), name="okrs_cycle_state_valid"
            ),
            models.UniqueConstraint(
                fields=["portfolio", "name"],
                name="okrs_cycle_unique_name",
                violation_error_message="This portfolio already has a cycle with this name.",
            ),
            progress_in_range("progress", "okrs_cycle_progress_in_range"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.state == CycleState.CLOSED


class ObjectiveKind(models.TextChoices):
    COMMITTED = "committed", "Committed"
    ASPIRATIONAL = "aspirational", "Aspirational"


class ObjectiveQuerySet(models.QuerySet):
    def in_cycle(self, cycle):
        return self.filter(cycle=cycle)

    def portfolio_level(self):
        return self.filter(product__isnull=True)

    def for_product(self, product):
        return self.filter(product=product)

    def roots(self):
        return self.filter(parent__isnull=True)


class Objective(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="objectives")
    product = models.ForeignKey(
        "portfolio.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="objectives",
        help_text="Empty for a portfolio-level objective.",
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        help_text="The objective this one cascades from, in the same cycle.",
    )
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_objectives",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(
        max_length=16, choices=ObjectiveKind.choices, default=ObjectiveKind.COMMITTED
    )
    weight = models.DecimalField(
        **WEIGHT_DIGITS, default=Decimal(1), validators=[MinValueValidator(Decimal(0))]
    )
    rollup_children = models.BooleanField(
        default=True, help_text="Count child objectives' progress in this objective's progress."
    )
    position = models.PositiveIntegerField(default=0)
    progress = progress_field(null=True, blank=True, editable=False)
    final_score = progress_field(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one on every edit (optimistic locking)."
    )

    objects = ObjectiveQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        indexes = [models.Index(fields=["cycle", "depth"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="okrs_objective_weight_not_negative",
                violation_error_message="Weight cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(parent=F("id")),
                name="okrs_objective_not_its_own_parent",
                violation_error_message="An objective cannot cascade from itself.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ObjectiveKind.values), name="okrs_objective_kind_valid"
            ),
            progress_in_range("progress", "okrs_objective_progress_in_range"),
            progress_in_range("final_score", "okrs_objective_final_score_in_range"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_portfolio_level(self) -> bool:
        return self.product_id is None


class Measure(models.TextChoices):
    INCREASE = "increase", "Increase to"
    DECREASE = "decrease", "Decrease to"
    STAY_ABOVE = "stay_above", "Stay at or above"
    STAY_BELOW = "stay_below", "Stay at or below"
    MILESTONE = "milestone", "Milestone (done / not done)"


class KeyResultQuerySet(models.QuerySet):
    def in_cycle(self, cycle):
        return self.filter(objective__cycle=cycle)

    def owned_by(self, user):
        return self.filter(owner=user)


class KeyResult(models.Model):
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="key_results")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_key_results",
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    measure = models.CharField(max_length=16, choices=Measure.choices, default=Measure.INCREASE)
    unit = models.CharField(max_length=24, blank=True, help_text="“%”, “€”, “users”…")
    start_value = models.DecimalField(**METRIC_DIGITS, default=Decimal(0))
    target_value = models.DecimalField(**METRIC_DIGITS)
    current_value = models.DecimalField(**METRIC_DIGITS, editable=False)
    weight = models.DecimalField(
        **WEIGHT_DIGITS, default=Decimal(1), validators=[MinValueValidator(Decimal(0))]
    )
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, editable=False, validators=[MaxValueValidator(10)]
    )
    last_checked_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    position = models.PositiveIntegerField(default=0)
    progress = progress_field(default=0.0, editable=False)
    forecast = progress_field(null=True, blank=True, editable=False)
    final_score = progress_field(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one on every edit (optimistic locking)."
    )

    objects = KeyResultQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weight__gte=0),
                name="okrs_key_result_weight_not_negative",
                violation_error_message="Weight cannot be negative.",
            ),
            models.CheckConstraint(
                condition=~Q(measure=Measure.INCREASE) | Q(target_value__gt=F("start_value")),
                name="okrs_key_result_increase_target_above_start",
                violation_error_message="To increase, the target must be above the start value.",
            ),
            models.CheckConstraint(
                condition=~Q(measure=Measure.DECREASE) | Q(target_value__lt=F("start_value")),
                name="okrs_key_result_decrease_target_below_start",
                violation_error_message="To decrease, the target must be below the start value.",
            ),
            models.CheckConstraint(
                condition=~Q(measure=Measure.MILESTONE)
                | Q(start_value=0, target_value=1, current_value__in=[0, 1]),
                name="okrs_key_result_milestone_is_done_or_not",
                violation_error_message="A milestone starts at 0 (not done) and ends at 1 (done).",
            ),
            models.CheckConstraint(
                condition=Q(measure__in=Measure.values), name="okrs_key_result_measure_valid"
            ),
            confidence_in_range("okrs_key_result_confidence_in_range"),
            progress_in_range("progress", "okrs_key_result_progress_in_range", nullable=False),
            progress_in_range("forecast", "okrs_key_result_forecast_in_range"),
            progress_in_range("final_score", "okrs_key_result_final_score_in_range"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.current_value is None:
            self.current_value = self.start_value
        super().save(*args, **kwargs)


class CheckIn(models.Model):
    """Append-only: a correction is a new check-in, never an edit."""

    key_result = models.ForeignKey(KeyResult, on_delete=models.CASCADE, related_name="check_ins")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="check_ins"
    )
    value = models.DecimalField(**METRIC_DIGITS)
    confidence = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    note = models.TextField(
        blank=True,
        max_length=MAX_NOTE_LENGTH,
        validators=[MaxLengthValidator(MAX_NOTE_LENGTH)],
    )
    checked_in_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_in_at", "-id"]
        get_latest_by = ["checked_in_at", "id"]
        indexes = [
            models.Index(fields=["key_result", "checked_in_at"]),
            # The API's check-in feed pages newest first along this (a cursor).
            models.Index(fields=["-checked_in_at", "-id"], name="okrs_checkin_newest"),
        ]
        constraints = [confidence_in_range("okrs_check_in_confidence_in_range")]

    def __str__(self):
        return f"{self.key_result}: {self.value} ({self.checked_in_at:%Y-%m-%d})"


class ProductProgress(models.Model):
    """A product's cached progress in one cycle (DESIGN.md §5)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="product_progress")
    product = models.ForeignKey(
        "portfolio.Product", on_delete=models.CASCADE, related_name="cycle_progress"
    )
    progress = progress_field(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "product"], name="okrs_product_progress_unique"
            ),
            progress_in_range("progress", "okrs_product_progress_in_range"),
        ]

    def __str__(self):
        return f"{self.product} in {self.cycle}: {self.progress}"


class SnapshotScope(models.TextChoices):
    PORTFOLIO = "portfolio", "Portfolio"
    PRODUCT = "product", "Product"
    OBJECTIVE = "objective", "Objective"
    KEY_RESULT = "key_result", "Key result"


class ProgressSnapshot(models.Model):
    """One row per scope and day of a cycle: feeds burn-up charts and “as of” views.

    `scope_id` is the id of the portfolio, product, objective or key result named by
    `scope`; one generic pair keeps the daily upsert a single statement.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="snapshots")
    scope = models.CharField(max_length=16, choices=SnapshotScope.choices)
    scope_id = models.PositiveBigIntegerField()
    day = models.DateField()
    progress = progress_field(null=True, blank=True)
    expected = progress_field()

    class Meta:
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "scope", "scope_id", "day"], name="okrs_snapshot_unique_day"
            ),
            models.CheckConstraint(
                condition=Q(scope__in=SnapshotScope.values), name="okrs_snapshot_scope_valid"
            ),
            progress_in_range("progress", "okrs_snapshot_progress_in_range"),
            progress_in_range("expected", "okrs_snapshot_expected_in_range", nullable=False),
        ]

    def __str__(self):
        return f"{self.scope} {self.scope_id} on {self.day}: {self.progress}"
