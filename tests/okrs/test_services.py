from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from okrs import services
from okrs.models import CheckIn, Cycle, CycleState, KeyResult, Measure, Objective
from tests.okrs import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run roll-ups enqueued on commit, as the eager embedded mode does."""

    def run(action, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return action(*args, **kwargs)

    return run


class TestCycleCreate:
    def test_refuses_an_end_before_the_start(self, portfolio):
        today = timezone.localdate()

        with pytest.raises(ValidationError, match="must end after it starts"):
            services.cycle_create(
                portfolio=portfolio, name="2027 Q1", starts_on=today, ends_on=today
            )

        assert not Cycle.objects.filter(name="2027 Q1").exists()

    def test_refuses_a_duplicate_name_in_the_portfolio(self, cycle):
        with pytest.raises(ValidationError, match="already has a cycle with this name"):
            services.cycle_create(
                portfolio=cycle.portfolio,
                name=cycle.name,
                starts_on=cycle.starts_on,
                ends_on=cycle.ends_on,
            )


class TestCycleClose:
    def test_freezes_final_scores_rounded_to_a_tenth(self, cycle, director, run_on_commit):
        objective = run_on_commit(builders.objective, cycle)
        key_result = run_on_commit(builders.key_result, objective)
        run_on_commit(builders.check_in, key_result, director, "66")

        services.cycle_close(cycle=cycle)

        key_result.refresh_from_db()
        objective.refresh_from_db()
        assert key_result.final_score == 0.7
        assert objective.final_score == 0.7
        assert Cycle.objects.get(pk=cycle.pk).state == CycleState.CLOSED

    def test_a_closed_cycle_takes_no_more_check_ins(self, cycle, director, run_on_commit):
        key_result = run_on_commit(builders.key_result, run_on_commit(builders.objective, cycle))
        services.cycle_close(cycle=cycle)

        with pytest.raises(ValidationError, match="is closed"):
            builders.check_in(key_result, director, "10")

        assert CheckIn.objects.count() == 0


class TestObjectiveTree:
    def test_refuses_a_parent_from_another_cycle(self, cycle, portfolio):
        other = services.cycle_create(
            portfolio=portfolio,
            name="Next quarter",
            starts_on=cycle.ends_on,
            ends_on=cycle.ends_on + timedelta(days=90),
        )
        parent = builders.objective(other)

        with pytest.raises(ValidationError, match="same cycle"):
            builders.objective(cycle, title="Child", parent=parent)

        assert not Objective.objects.filter(title="Child").exists()

    def test_refuses_a_move_under_its_own_descendant(self, cycle):
        root = builders.objective(cycle, title="Root")
        child = builders.objective(cycle, title="Child", parent=root)
        grandchild = builders.objective(cycle, title="Grandchild", parent=child)

        with pytest.raises(ValidationError, match="cannot cascade from itself"):
            services.objective_update(objective=root, parent=grandchild)

        root.refresh_from_db()
        assert root.parent_id is None

    def test_a_portfolio_objective_cannot_cascade_from_a_product_objective(self, cycle, product):
        product_objective = builders.objective(cycle, product=product)

        with pytest.raises(ValidationError, match="another portfolio objective"):
            builders.objective(cycle, title="Portfolio", parent=product_objective)

    def test_moving_an_objective_updates_the_depth_of_its_subtree(self, cycle, product):
        a = builders.objective(cycle, title="A")
        b = builders.objective(cycle, title="B")
        child = builders.objective(cycle, title="Child", parent=a, product=product)
        grandchild = builders.objective(cycle, title="Grandchild", parent=child, product=product)

        services.objective_update(objective=a, parent=b)

        depths = dict(Objective.objects.values_list("title", "depth"))
        assert depths == {"A": 1, "B": 0, "Child": 2, "Grandchild": 3}
        assert grandchild.pk

    def test_deleting_an_objective_with_children_is_refused(self, cycle):
        root = builders.objective(cycle, title="Root")
        builders.objective(cycle, title="Child", parent=root)

        with pytest.raises(ValidationError, match="move or delete them first"):
            services.objective_delete(objective=root)

        assert Objective.objects.count() == 2

    def test_refuses_a_negative_weight(self, cycle):
        with pytest.raises(ValidationError) as error:
            builders.objective(cycle, weight=Decimal("-1"))

        assert "weight" in error.value.message_dict


class TestKeyResultCreate:
    @pytest.mark.parametrize(
        ("measure", "start", "target", "message"),
        [
            (Measure.INCREASE, 10, 10, "target must be above the start"),
            (Measure.INCREASE, 10, 5, "target must be above the start"),
            (Measure.DECREASE, 10, 20, "target must be below the start"),
        ],
    )
    def test_refuses_a_target_that_does_not_move(self, cycle, measure, start, target, message):
        objective = builders.objective(cycle)

        with pytest.raises(ValidationError, match=message):
            builders.key_result(objective, measure=measure, start_value=start, target_value=target)

        assert KeyResult.objects.count() == 0

    @pytest.mark.parametrize("target", ["NaN", "Infinity", "-inf", "1e30", "lots"])
    def test_refuses_a_target_that_is_not_a_sensible_number(self, cycle, target):
        objective = builders.objective(cycle)

        with pytest.raises(ValidationError) as error:
            builders.key_result(objective, target_value=target)

        assert "target_value" in error.value.message_dict
        assert KeyResult.objects.count() == 0

    def test_a_milestone_runs_from_not_done_to_done(self, cycle):
        key_result = builders.key_result(
            builders.objective(cycle), measure=Measure.MILESTONE, target_value=Decimal(7)
        )

        assert (key_result.start_value, key_result.target_value) == (0, 1)
        assert key_result.current_value == 0


class TestCheckInCreate:
    @pytest.fixture
    def key_result(self, cycle, run_on_commit):
        return run_on_commit(builders.key_result, run_on_commit(builders.objective, cycle))

    def test_updates_the_key_result_and_rolls_up(self, key_result, director, run_on_commit):
        run_on_commit(builders.check_in, key_result, director, "25", confidence=7, note="Good")

        key_result.refresh_from_db()
        assert key_result.current_value == Decimal("25")
        assert key_result.confidence == 7
        assert key_result.progress == 0.25
        assert Objective.objects.get().progress == 0.25
        assert Cycle.objects.get().progress == 0.25

    def test_a_back_dated_check_in_does_not_replace_a_newer_value(
        self, key_result, director, run_on_commit
    ):
        run_on_commit(builders.check_in, key_result, director, "40")
        run_on_commit(
            builders.check_in,
            key_result,
            director,
            "10",
            checked_in_at=timezone.now() - timedelta(days=3),
        )

        key_result.refresh_from_db()
        assert key_result.current_value == Decimal("40")
        assert key_result.check_ins.count() == 2

    @pytest.mark.parametrize(
        ("changes", "field", "message"),
        [
            ({"value": "twelve"}, "value", "Enter a number"),
            ({"value": "NaN"}, "value", "finite number"),
            ({"value": float("inf")}, "value", "finite number"),
            ({"value": "123456789012345678"}, "value", "too large"),
            ({"confidence": 11}, "confidence", "less than or equal to 10"),
            ({"confidence": -1}, "confidence", "greater than or equal to 0"),
            ({"note": "x" * 2001}, "note", "at most 2000 characters"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_changes(
        self, key_result, director, changes, field, message
    ):
        arguments = {"value": "10", **changes}

        with pytest.raises(ValidationError) as error:
            builders.check_in(key_result, director, **arguments)

        assert message in " ".join(error.value.message_dict[field])
        key_result.refresh_from_db()
        assert key_result.current_value == 0
        assert key_result.last_checked_in_at is None
        assert CheckIn.objects.count() == 0

    def test_cannot_be_dated_in_the_future(self, key_result, director):
        with pytest.raises(ValidationError, match="in the future"):
            builders.check_in(
                key_result, director, "1", checked_in_at=timezone.now() + timedelta(hours=1)
            )

    def test_cannot_be_dated_before_the_cycle(self, key_result, director, cycle):
        with pytest.raises(ValidationError, match="before"):
            builders.check_in(
                key_result,
                director,
                "1",
                checked_in_at=timezone.now()
                - timedelta(days=(timezone.localdate() - cycle.starts_on).days + 2),
            )

    def test_a_milestone_is_done_or_not(self, cycle, director):
        milestone = builders.key_result(builders.objective(cycle), measure=Measure.MILESTONE)

        with pytest.raises(ValidationError, match="done"):
            builders.check_in(milestone, director, "0.5")

        builders.check_in(milestone, director, "1")
        milestone.refresh_from_db()
        assert milestone.current_value == 1

    def test_rounds_to_four_decimal_places(self, key_result, director):
        check_in = builders.check_in(key_result, director, "12.345678")

        assert check_in.value == Decimal("12.3457")
