"""Forms for teams; `teams.services` does the validation that counts."""

from django import forms

from teams.models import Discipline


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    discipline = forms.ChoiceField(choices=Discipline.choices)
    lead = forms.ModelChoiceField(queryset=None, required=False, empty_label="No lead")
    members = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="People of this portfolio. Members from other portfolios stay in the team.",
    )

    def __init__(self, *args, people, **kwargs):
        """`people`: the users offered as lead and members (a portfolio's members)."""
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = people
        self.fields["members"].queryset = people
