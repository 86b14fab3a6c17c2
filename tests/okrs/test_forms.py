"""Form validation for cycles, objectives and key results, and service errors on fields."""

import pytest
from django.core.exceptions import ValidationError

from okrs.forms import CycleForm, KeyResultForm, ObjectiveForm, TreeFilterForm, add_service_errors
from okrs.models import Objective
from teams.models import User


def kr_form(**data):
    base = {
        "title": "ARR",
        "measure": "increase",
        "start_value": "0",
        "target_value": "10",
        "weight": "1",
    }
    return KeyResultForm({**base, **data}, owners=User.objects.none())


@pytest.mark.django_db
class TestKeyResultForm:
    def test_valid_increase(self):
        form = kr_form()
        assert form.is_valid(), form.errors

    @pytest.mark.parametrize(
        ("measure", "start", "target", "message"),
        [
            ("increase", "5", "5", "To increase, the target must be above the start value."),
            ("increase", "5", "4", "To increase, the target must be above the start value."),
            ("decrease", "5", "6", "To decrease, the target must be below the start value."),
        ],
    )
    def test_direction_errors_land_on_the_target(self, measure, start, target, message):
        form = kr_form(measure=measure, start_value=start, target_value=target)
        assert not form.is_valid()
        assert form.errors["target_value"] == [message]

    def test_milestone_needs_no_start_or_target(self):
        form = kr_form(measure="milestone", start_value="", target_value="")
        assert form.is_valid(), form.errors
        assert (form.cleaned_data["start_value"], form.cleaned_data["target_value"]) == (0, 1)

    def test_target_is_required_otherwise(self):
        form = kr_form(target_value="")
        assert not form.is_valid()
        assert "target_value" in form.errors

    def test_negative_weight_is_refused(self):
        assert "weight" in kr_form(weight="-1").errors


@pytest.mark.django_db
class TestCycleForm:
    def test_end_before_start(self):
        form = CycleForm(
            {"name": "Q", "starts_on": "2027-02-01", "ends_on": "2027-01-01", "state": "planning"}
        )
        assert form.errors["ends_on"] == ["A cycle must end after it starts."]

    def test_closed_is_not_a_choice(self):
        form = CycleForm(
            {"name": "Q", "starts_on": "2027-01-01", "ends_on": "2027-02-01", "state": "closed"}
        )
        assert "state" in form.errors


@pytest.mark.django_db
class TestObjectiveForm:
    def form(self, data, **kwargs):
        kwargs.setdefault("products", Objective.objects.none().values("product"))
        from portfolio.models import Product

        kwargs["products"] = Product.objects.all()
        return ObjectiveForm(
            data, parents=Objective.objects.all(), owners=User.objects.all(), **kwargs
        )

    def test_product_objective_needs_a_parent(self, product, cycle):
        form = self.form({"title": "T", "product": product.pk, "kind": "committed", "weight": "1"})
        assert form.errors["parent"] == ["Choose the portfolio objective this one cascades from."]

    def test_portfolio_objective_cannot_cascade_from_a_product_one(self, product, cycle):
        parent = Objective.objects.create(cycle=cycle, title="P", product=product)
        form = self.form({"title": "T", "parent": parent.pk, "kind": "committed", "weight": "1"})
        assert "only cascade from another portfolio objective" in form.errors["parent"][0]

    def test_product_required_for_product_managers(self, product, cycle):
        form = self.form({"title": "T", "kind": "committed", "weight": "1"}, product_required=True)
        assert "product" in form.errors


class TestAddServiceErrors:
    def test_named_field(self, db):
        form = kr_form()
        form.is_valid()
        add_service_errors(form, ValidationError({"start_value": "Enter a finite number."}))
        assert form.errors["start_value"] == ["Enter a finite number."]

    def test_constraint_message_maps_to_its_field(self, db):
        form = kr_form()
        form.is_valid()
        add_service_errors(
            form,
            ValidationError(
                {"__all__": ["To increase, the target must be above the start value."]}
            ),
        )
        assert "target_value" in form.errors

    def test_unknown_message_is_a_form_error(self, db):
        form = kr_form()
        form.is_valid()
        add_service_errors(form, ValidationError("This cycle is closed."))
        assert form.non_field_errors() == ["This cycle is closed."]


@pytest.mark.django_db
def test_tree_filter_form_reads_slugs_and_usernames(product, owning_pm):
    from portfolio.models import Product

    form = TreeFilterForm(
        {"product": "checkout", "owner": owning_pm.username, "status": "at_risk"},
        products=Product.objects.all(),
        owners=User.objects.all(),
    )
    assert form.is_valid(), form.errors
    assert (form.cleaned_data["product"], form.cleaned_data["owner"]) == (product, owning_pm)
    assert (
        TreeFilterForm(
            {"status": "nonsense"}, products=Product.objects.all(), owners=User.objects.all()
        ).is_valid()
        is False
    )
