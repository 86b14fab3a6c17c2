import datetime

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils import timezone

from okrs.models import Measure
from portfolio.models import Product
from roadmap.forms import CheckInForm, DependencyForm, RoadmapItemForm, add_service_errors
from roadmap.models import RoadmapItem
from roadmap.selectors import cycle_key_results
from teams.models import User
from tests.okrs.factories import KeyResultFactory, ObjectiveFactory
from tests.roadmap.factories import RoadmapItemFactory


@pytest.fixture
def key_result(cycle):
    return KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))


def bound(key_result, **data):
    prefix = f"kr{key_result.pk}"
    return CheckInForm(
        {f"{prefix}-{name}": value for name, value in data.items()}, key_result=key_result
    )


class TestCheckInForm:
    def test_accepts_a_value_confidence_and_note(self, key_result):
        form = bound(key_result, value="42.5", confidence="7", note="Good week.")
        assert form.is_valid(), form.errors
        arguments = form.service_arguments()
        assert str(arguments["value"]) == "42.5000"
        assert arguments["confidence"] == 7
        assert arguments["checked_in_at"] is None

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("abc", "Enter a number"),
            ("NaN", "finite number"),
            ("Infinity", "finite number"),
            ("-inf", "finite number"),
            ("1e30", "too large"),
            ("", "required"),
        ],
    )
    def test_refuses_a_bad_value_on_the_value_field(self, key_result, value, message):
        form = bound(key_result, value=value)
        assert not form.is_valid()
        assert message in " ".join(form.errors["value"])
        assert set(form.errors) == {"value"}

    @pytest.mark.parametrize("confidence", ["11", "-1", "7.5", "high"])
    def test_refuses_a_confidence_outside_0_to_10(self, key_result, confidence):
        form = bound(key_result, value="10", confidence=confidence)
        assert not form.is_valid()
        assert form.errors["confidence"] == ["Confidence is a whole number from 0 to 10."]

    def test_refuses_a_note_over_2000_characters(self, key_result):
        form = bound(key_result, value="10", note="x" * 2001)
        assert not form.is_valid()
        assert "2,000" in form.errors["note"][0]

    def test_back_dates_within_the_cycle(self, key_result, cycle):
        day = timezone.localdate() - datetime.timedelta(days=3)
        form = bound(key_result, value="10", checked_on=day.isoformat())
        assert form.is_valid(), form.errors
        assert timezone.localdate(form.service_arguments()["checked_in_at"]) == day

    def test_refuses_a_future_date(self, key_result):
        day = timezone.localdate() + datetime.timedelta(days=1)
        form = bound(key_result, value="10", checked_on=day.isoformat())
        assert not form.is_valid()
        assert form.errors["checked_on"] == ["A check-in cannot be dated in the future."]

    def test_refuses_a_date_before_the_cycle(self, key_result, cycle):
        day = cycle.starts_on - datetime.timedelta(days=1)
        form = bound(key_result, value="10", checked_on=day.isoformat())
        assert not form.is_valid()
        assert "before" in form.errors["checked_on"][0]

    def test_a_milestone_is_done_or_not_done(self, cycle):
        milestone = KeyResultFactory(
            objective=ObjectiveFactory(cycle=cycle),
            measure=Measure.MILESTONE,
            start_value=0,
            target_value=1,
            unit="",
        )
        assert bound(milestone, value="1").is_valid()
        form = bound(milestone, value="0.5")
        assert not form.is_valid()
        assert "value" in form.errors
        assert "Done" in str(form["value"])

    def test_marks_invalid_fields_for_screen_readers(self, key_result):
        form = bound(key_result, value="abc")
        form.is_valid()
        assert 'aria-invalid="true"' in str(form["value"])


class TestAddServiceErrors:
    def test_puts_a_service_error_on_its_field(self, key_result):
        form = bound(key_result, value="10")
        form.is_valid()
        form.add_service_errors(ValidationError({"checked_in_at": "Too early."}))
        assert form.errors["checked_on"] == ["Too early."]

    def test_an_error_for_an_unknown_field_is_shown_form_wide(self, key_result):
        form = bound(key_result, value="10")
        form.is_valid()
        add_service_errors(form, ValidationError({"elsewhere": "Closed."}))
        assert form.non_field_errors() == ["Closed."]
        add_service_errors(form, ValidationError("Plain message."))
        assert "Plain message." in form.non_field_errors()


class TestRoadmapItemForm:
    """The dialog renders a few key results; the form accepts any of the cycle's."""

    def form(self, data=None, *, key_results, initial=None):
        return RoadmapItemForm(
            data,
            initial=initial or {},
            products=Product.objects.all(),
            members=User.objects.all(),
            key_results=key_results,
        )

    def test_accepts_any_key_result_of_the_queryset_and_no_other(self, cycle, product):
        ours = [KeyResultFactory(objective=ObjectiveFactory(cycle=cycle)) for _ in range(3)]
        theirs = KeyResultFactory()
        data = {"title": "T", "product": product.pk, "status": "idea", "horizon": "now"}
        form = self.form(
            {**data, "key_results": [ours[2].pk]}, key_results=cycle_key_results(cycle)
        )
        assert form.is_valid(), form.errors
        assert list(form.cleaned_data["key_results"]) == [ours[2]]
        form = self.form({**data, "key_results": [theirs.pk]}, key_results=cycle_key_results(cycle))
        assert not form.is_valid()
        assert "key_results" in form.errors

    def test_the_ticked_key_results_are_the_posted_ones_or_the_initial_ones(self, cycle):
        key_results = cycle_key_results(cycle)
        assert self.form(
            initial={"key_results": [4, 9]}, key_results=key_results
        ).chosen_key_result_ids() == [4, 9]
        posted = QueryDict("key_results=7&key_results=x&key_results=8")
        assert self.form(posted, key_results=key_results).chosen_key_result_ids() == [7, 8]


class TestDependencyForm:
    def test_offers_only_the_items_given_but_accepts_any_candidate(self, product):
        shown, hidden = RoadmapItemFactory(product=product), RoadmapItemFactory(product=product)
        candidates = RoadmapItem.objects.filter(product=product).select_related("product")
        form = DependencyForm({"blocking_item": hidden.pk}, candidates=candidates)
        form.offer([shown])
        html = str(form["blocking_item"])
        assert f'value="{shown.pk}"' in html
        assert f'value="{hidden.pk}"' not in html
        assert form.is_valid(), form.errors
        assert form.cleaned_data["blocking_item"] == hidden
        assert form.chosen_id() == [hidden.pk]

    def test_refuses_an_item_that_is_not_a_candidate(self, product):
        item = RoadmapItemFactory(product=product)
        form = DependencyForm(
            {"blocking_item": item.pk}, candidates=RoadmapItem.objects.exclude(pk=item.pk)
        )
        assert not form.is_valid()
