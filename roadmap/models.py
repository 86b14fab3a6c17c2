from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Q

from okrs.models import MAX_NOTE_LENGTH


class ItemStatus(models.TextChoices):
    IDEA = "idea", "Idea"
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


ACTIVE_STATUSES = [ItemStatus.IDEA, ItemStatus.PLANNED, ItemStatus.IN_PROGRESS]


class Horizon(models.TextChoices):
    NOW = "now", "Now"
    NEXT = "next", "Next"
    LATER = "later", "Later"


class RoadmapItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES, is_archived=False)

    def not_archived(self):
        return self.filter(is_archived=False)

    def in_portfolio(self, portfolio):
        return self.filter(product__portfolio=portfolio)

    def in_horizon(self, horizon):
        return self.filter(horizon=horizon)

    def unaligned(self):
        return self.filter(alignments__isnull=True)


class RoadmapItem(models.Model):
    product = models.ForeignKey(
        "portfolio.Product", on_delete=models.CASCADE, related_name="roadmap_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_roadmap_items",
    )
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.PLANNED)
    horizon = models.CharField(max_length=8, choices=Horizon.choices, default=Horizon.NEXT)
    starts_on = models.DateField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)
    effort = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Story points.")
    position = models.PositiveIntegerField(default=0)
    is_archived = models.BooleanField(default=False)
    key_results = models.ManyToManyField(
        "okrs.KeyResult", through="Alignment", related_name="roadmap_items", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(
        default=1, editable=False, help_text="Goes up by one on every edit (optimistic locking)."
    )

    objects = RoadmapItemQuerySet.as_manager()

    class Meta:
        ordering = ["horizon", "position", "id"]
        indexes = [models.Index(fields=["product", "horizon", "position"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True)
                | Q(ends_on__isnull=True)
                | Q(starts_on__lte=F("ends_on")),
                name="roadmap_item_starts_before_it_ends",
                violation_error_message="An item cannot end before it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=ItemStatus.values), name="roadmap_item_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(horizon__in=Horizon.values), name="roadmap_item_horizon_valid"
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class Alignment(models.Model):
    """A roadmap item serves a key result; the note is the hypothesis."""

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="alignments")
    key_result = models.ForeignKey(
        "okrs.KeyResult", on_delete=models.CASCADE, related_name="alignments"
    )
    note = models.TextField(
        blank=True,
        max_length=MAX_NOTE_LENGTH,
        validators=[MaxLengthValidator(MAX_NOTE_LENGTH)],
        help_text="What should this item move, and why?",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "key_result"],
                name="roadmap_alignment_unique_pair",
                violation_error_message="This item is already aligned to this key result.",
            ),
        ]

    def __str__(self):
        return f"{self.item} → {self.key_result}"


class Dependency(models.Model):
    """`blocked_item` cannot finish before `blocking_item`."""

    blocked_item = models.ForeignKey(
        RoadmapItem, on_delete=models.CASCADE, related_name="blocked_by_links"
    )
    blocking_item = models.ForeignKey(
        RoadmapItem, on_delete=models.CASCADE, related_name="blocking_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(
                fields=["blocked_item", "blocking_item"],
                name="roadmap_dependency_unique_pair",
                violation_error_message="This dependency already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(blocked_item=F("blocking_item")),
                name="roadmap_dependency_not_on_itself",
                violation_error_message="An item cannot depend on itself.",
            ),
        ]

    def __str__(self):
        return f"{self.blocked_item} blocked by {self.blocking_item}"


class ShareLink(models.Model):
    """A read-only link to a portfolio's or one product's roadmap.

    Only the SHA-256 of the token is stored; the token itself is shown once.
    """

    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="share_links"
    )
    product = models.ForeignKey(
        "portfolio.Product",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="share_links",
        help_text="Empty to share the whole portfolio roadmap.",
    )
    label = models.CharField(max_length=120, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    view_count = models.PositiveIntegerField(default=0, editable=False)
    last_viewed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.label or f"Share link {self.pk}"


class RoadmapItemChange(models.Model):
    """A change of an item's status or horizon: who, when, from what to what.

    Feeds the dashboard's recent activity and the weekly digest.
    """

    class Field(models.TextChoices):
        STATUS = "status", "Status"
        HORIZON = "horizon", "Horizon"

    item = models.ForeignKey(RoadmapItem, on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    field = models.CharField(max_length=16, choices=Field.choices)
    before = models.CharField(max_length=16)
    after = models.CharField(max_length=16)
    changed_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(field__in=["status", "horizon"]), name="roadmap_item_change_field_valid"
            ),
        ]

    def __str__(self):
        return f"{self.item}: {self.field} {self.before} → {self.after}"


class EmailDelivery(models.Model):
    """One e-mail of a kind to one person for one portfolio and period: sending jobs
    insert this row first, so a job that runs twice sends nothing twice."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Weekly digest"
        REMINDER = "reminder", "Check-in reminder"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_deliveries"
    )
    portfolio = models.ForeignKey(
        "portfolio.Portfolio", on_delete=models.CASCADE, related_name="email_deliveries"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    period_start = models.DateField(help_text="The Monday of the week this e-mail covers.")
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "portfolio", "kind", "period_start"],
                name="roadmap_email_delivery_once_per_period",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} for {self.user} ({self.period_start})"
