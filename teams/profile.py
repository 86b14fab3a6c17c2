"""The signed-in person's own settings (the weekly digest, their API token) and the form.

Writes for the profile page live here (STYLE.md: services), next to the page that uses
them, so `teams/services.py` stays about people and teams.
"""

from django import forms
from django.db import transaction
from rest_framework.authtoken.models import Token

from teams.models import User


def digest_set(*, user: User, receives_digest: bool) -> User:
    user.receives_digest = receives_digest
    user.save(update_fields=["receives_digest"])
    return user


def api_token_of(user: User) -> Token | None:
    return Token.objects.filter(user=user).first()


@transaction.atomic
def api_token_create(*, user: User) -> Token:
    """A new API token for the person; an existing one stops working at once."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


class DigestForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["receives_digest"]
        labels = {"receives_digest": "E-mail me the weekly portfolio digest"}
        help_texts = {
            "receives_digest": "Every Monday: progress, what changed on the roadmap and "
            "the key results that need attention, for each of your portfolios."
        }

    def save(self, commit=True):
        return digest_set(user=self.instance, receives_digest=self.cleaned_data["receives_digest"])
