from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    display_name = models.CharField(max_length=150, blank=True)
    receives_digest = models.BooleanField(
        default=True, help_text="E-mail me the weekly portfolio digest."
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="teams_user_email_unique_when_set",
                violation_error_message="Another person already uses this e-mail address.",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def initials(self) -> str:
        parts = self.name.split()
        return "".join(part[0] for part in parts[:2]).upper() or self.username[:2].upper()


class Discipline(models.TextChoices):
    PRODUCT = "product", "Product"
    DESIGN = "design", "Design"
    ENGINEERING = "engineering", "Engineering"
    DATA = "data", "Data"
    BUSINESS_OPERATIONS = "business_operations", "Business operations"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    discipline = models.CharField(max_length=32, choices=Discipline.choices)
    members = models.ManyToManyField("teams.User", related_name="teams", blank=True)
    lead = models.ForeignKey(
        "teams.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="led_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
