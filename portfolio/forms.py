"""Forms of the portfolio administration pages; services do the validation that counts."""

from django import forms

from portfolio.models import Role
from portfolio.selectors import product_owner_choices
from teams.models import Team


class ProductForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(
        max_length=60,
        required=False,
        help_text="Used in addresses. Leave empty to make one from the name.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Product manager",
        empty_label="No product manager yet",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.order_by("name"), required=False, empty_label="No team"
    )

    def __init__(self, *args, portfolio, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = product_owner_choices(portfolio)


class MemberAddForm(forms.Form):
    identifier = forms.CharField(
        max_length=254,
        label="E-mail or username",
        help_text="Someone new to Lodestar gets an e-mail inviting them to set a password.",
    )
    role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class PortfolioCreateForm(forms.Form):
    name = forms.CharField(max_length=120)
    slug = forms.SlugField(max_length=60, help_text="The portfolio's address: /p/<slug>/.")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    director = forms.CharField(
        max_length=254,
        label="Director of Product",
        help_text="Their e-mail or username. Someone new to Lodestar is invited by e-mail.",
    )
