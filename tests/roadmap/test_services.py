import datetime
import itertools

import pytest
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portfolio.services import product_archive
from roadmap.models import Alignment, Dependency, Horizon, ItemStatus, RoadmapItem
from roadmap.services import (
    alignment_create,
    alignment_delete,
    dependency_create,
    dependency_delete,
    roadmap_item_archive,
    roadmap_item_create,
    roadmap_item_move,
    roadmap_item_unarchive,
    roadmap_item_update,
)
from tests.okrs.factories import CycleFactory, KeyResultFactory, ObjectiveFactory
from tests.portfolio.factories import ProductFactory
from tests.roadmap.factories import AlignmentFactory, DependencyFactory, RoadmapItemFactory

pytestmark = pytest.mark.django_db

JAN_1 = datetime.date(2027, 1, 1)
JAN_31 = datetime.date(2027, 1, 31)


def column(product, horizon=Horizon.NEXT) -> list[tuple[str, int]]:
    items = RoadmapItem.objects.filter(product=product, horizon=horizon, is_archived=False)
    return list(items.order_by("position", "id").values_list("title", "position"))


def cards(product, titles, horizon=Horizon.NEXT):
    return [roadmap_item_create(product=product, title=t, horizon=horizon) for t in titles]


@pytest.fixture
def key_result(cycle, product):
    return KeyResultFactory(objective=ObjectiveFactory(cycle=cycle, product=product))


class TestRoadmapItemCreate:
    def test_appends_to_the_end_of_its_column(self, product, other_product):
        cards(product, ["A", "B"])
        cards(other_product, ["X"])
        roadmap_item_create(product=product, title="Now", horizon=Horizon.NOW)

        item = roadmap_item_create(product=product, title="C", owner=product.owner)

        assert item.position == 2
        assert column(product) == [("A", 0), ("B", 1), ("C", 2)]
        assert column(product, Horizon.NOW) == [("Now", 0)]
        assert column(other_product) == [("X", 0)]

    def test_inserts_at_a_given_position(self, product):
        cards(product, ["A", "B", "C"])

        roadmap_item_create(product=product, title="New", position=1)

        assert column(product) == [("A", 0), ("New", 1), ("B", 2), ("C", 3)]

    def test_keeps_every_detail(self, product, contributor):
        item = roadmap_item_create(
            product=product,
            title="Wallet",
            owner=contributor,
            description="Pay in one tap",
            status=ItemStatus.IN_PROGRESS,
            horizon=Horizon.NOW,
            starts_on=JAN_1,
            ends_on=JAN_31,
            effort=8,
        )

        item.refresh_from_db()
        assert (item.owner, item.status, item.horizon, item.effort) == (
            contributor,
            ItemStatus.IN_PROGRESS,
            Horizon.NOW,
            8,
        )
        assert (item.starts_on, item.ends_on) == (JAN_1, JAN_31)

    def test_refuses_an_archived_product(self, product):
        product_archive(product=product)

        with pytest.raises(ValidationError, match="archived"):
            roadmap_item_create(product=product, title="A")

        assert not RoadmapItem.objects.exists()

    def test_refuses_an_end_before_the_start_once_on_ends_on(self, product):
        with pytest.raises(ValidationError) as error:
            roadmap_item_create(product=product, title="A", starts_on=JAN_31, ends_on=JAN_1)

        assert error.value.message_dict == {"ends_on": ["An item cannot end before it starts."]}
        assert not RoadmapItem.objects.exists()

    def test_a_one_day_item_is_fine(self, product):
        item = roadmap_item_create(product=product, title="A", starts_on=JAN_1, ends_on=JAN_1)

        assert item.pk is not None

    @pytest.mark.parametrize(
        ("field", "value"),
        [("status", "shipped"), ("horizon", "someday"), ("title", ""), ("effort", -1)],
    )
    def test_refuses_a_bad_value(self, product, field, value):
        with pytest.raises(ValidationError) as error:
            roadmap_item_create(**{"product": product, "title": "A", field: value})

        assert field in error.value.message_dict
        assert not RoadmapItem.objects.exists()

    def test_refuses_an_owner_from_outside_the_portfolio(self, product, outsider):
        with pytest.raises(ValidationError) as error:
            roadmap_item_create(product=product, title="A", owner=outsider)

        assert "not a member" in error.value.message_dict["owner"][0]
        assert not RoadmapItem.objects.exists()

    @pytest.mark.parametrize("position", [-1, "1", 1.5])
    def test_refuses_a_bad_position(self, product, position):
        with pytest.raises(ValidationError) as error:
            roadmap_item_create(product=product, title="A", position=position)

        assert "position" in error.value.message_dict
        assert not RoadmapItem.objects.exists()


class TestRoadmapItemUpdate:
    def test_changes_the_given_fields(self, product, contributor):
        item = roadmap_item_create(product=product, title="A")

        roadmap_item_update(
            item=item, title="B", owner=contributor, status=ItemStatus.DONE, effort=3
        )

        item.refresh_from_db()
        assert (item.title, item.owner, item.status, item.effort) == (
            "B",
            contributor,
            ItemStatus.DONE,
            3,
        )

    def test_a_new_horizon_puts_it_at_the_end_of_that_column(self, product):
        cards(product, ["Now 1", "Now 2"], horizon=Horizon.NOW)
        (item,) = cards(product, ["A"])

        roadmap_item_update(item=item, horizon=Horizon.NOW)

        assert column(product, Horizon.NOW) == [("Now 1", 0), ("Now 2", 1), ("A", 2)]

    def test_refuses_an_end_before_the_start_and_changes_nothing(self, product):
        item = roadmap_item_create(product=product, title="A", starts_on=JAN_1, ends_on=JAN_31)

        with pytest.raises(ValidationError) as error:
            roadmap_item_update(item=item, title="B", ends_on=datetime.date(2026, 12, 1))

        assert list(error.value.message_dict) == ["ends_on"]
        assert (item.title, item.ends_on) == ("A", JAN_31)
        item.refresh_from_db()
        assert (item.title, item.ends_on) == ("A", JAN_31)

    def test_a_failed_horizon_change_keeps_the_place(self, product):
        cards(product, ["Now"], horizon=Horizon.NOW)
        _, item = cards(product, ["A", "B"])

        with pytest.raises(ValidationError):
            roadmap_item_update(item=item, horizon=Horizon.NOW, status="shipped")

        assert (item.horizon, item.position) == (Horizon.NEXT, 1)

    def test_refuses_an_unknown_field(self, product):
        item = roadmap_item_create(product=product, title="A")

        with pytest.raises(TypeError, match="product"):
            roadmap_item_update(item=item, product=product)

    def test_refuses_an_archived_product(self, product):
        item = roadmap_item_create(product=product, title="A")
        product_archive(product=product)

        with pytest.raises(ValidationError, match="archived"):
            roadmap_item_update(item=item, title="B")

        assert RoadmapItem.objects.get().title == "A"


class TestRoadmapItemMove:
    def test_moves_within_a_column_and_renumbers_it(self, product):
        *_, d = cards(product, "ABCD")

        roadmap_item_move(item=d, horizon=Horizon.NEXT, position=1)

        assert column(product) == [("A", 0), ("D", 1), ("B", 2), ("C", 3)]
        assert (d.horizon, d.position) == (Horizon.NEXT, 1)

    def test_moves_down_a_column(self, product):
        a, *_ = cards(product, "ABCD")

        roadmap_item_move(item=a, horizon=Horizon.NEXT, position=2)

        assert column(product) == [("B", 0), ("C", 1), ("A", 2), ("D", 3)]

    def test_moves_to_another_column(self, product):
        cards(product, ["Now 1", "Now 2"], horizon=Horizon.NOW)
        _, b, _ = cards(product, "ABC")

        roadmap_item_move(item=b, horizon=Horizon.NOW, position=0)

        assert column(product, Horizon.NOW) == [("B", 0), ("Now 1", 1), ("Now 2", 2)]
        assert [title for title, _ in column(product)] == ["A", "C"]

    def test_a_position_past_the_end_appends(self, product):
        a, *_ = cards(product, "ABC")

        roadmap_item_move(item=a, horizon=Horizon.NEXT, position=99)

        assert column(product) == [("B", 0), ("C", 1), ("A", 2)]

    def test_closes_gaps_in_the_column(self, product):
        for title, position in [("A", 3), ("B", 10), ("C", 42)]:
            RoadmapItemFactory(product=product, title=title, position=position)
        c = RoadmapItem.objects.get(title="C")

        roadmap_item_move(item=c, horizon=Horizon.NEXT, position=0)

        assert column(product) == [("C", 0), ("A", 1), ("B", 2)]

    def test_leaves_other_products_and_archived_cards_alone(self, product, other_product):
        _, b, c = cards(product, "ABC")
        cards(other_product, "XY")
        roadmap_item_archive(item=b)

        roadmap_item_move(item=c, horizon=Horizon.NEXT, position=0)

        assert column(product) == [("C", 0), ("A", 1)]
        assert column(other_product) == [("X", 0), ("Y", 1)]
        assert RoadmapItem.objects.get(pk=b.pk).position == 1

    @pytest.mark.parametrize("size", [3, 30])
    def test_query_count_does_not_grow_with_the_column(
        self, product, size, django_assert_num_queries
    ):
        items = [RoadmapItemFactory(product=product, position=i) for i in range(size)]
        last = RoadmapItem.objects.select_related("product").get(pk=items[-1].pk)

        # savepoint, read the column, one bulk update, release.
        with django_assert_num_queries(4):
            roadmap_item_move(item=last, horizon=Horizon.NEXT, position=0)

        assert column(product)[0] == (last.title, 0)

    def test_refuses_an_unknown_horizon(self, product):
        a, _ = cards(product, "AB")

        with pytest.raises(ValidationError) as error:
            roadmap_item_move(item=a, horizon="someday", position=0)

        assert "horizon" in error.value.message_dict
        assert column(product) == [("A", 0), ("B", 1)]

    def test_refuses_a_negative_position(self, product):
        a, _ = cards(product, "AB")

        with pytest.raises(ValidationError) as error:
            roadmap_item_move(item=a, horizon=Horizon.NEXT, position=-1)

        assert "position" in error.value.message_dict

    def test_refuses_an_archived_item(self, product):
        a, _ = cards(product, "AB")
        roadmap_item_archive(item=a)

        with pytest.raises(ValidationError, match="archived"):
            roadmap_item_move(item=a, horizon=Horizon.NOW, position=0)

        assert RoadmapItem.objects.get(pk=a.pk).horizon == Horizon.NEXT


class TestRoadmapItemArchive:
    def test_archived_cards_leave_the_board_and_come_back_at_the_end(self, product):
        a, _, _ = cards(product, "ABC")

        roadmap_item_archive(item=a)
        assert column(product) == [("B", 1), ("C", 2)]
        assert RoadmapItem.objects.not_archived().count() == 2

        roadmap_item_unarchive(item=a)
        assert column(product) == [("B", 1), ("C", 2), ("A", 3)]

    def test_keeps_alignments(self, product, key_result):
        item = roadmap_item_create(product=product, title="A")
        alignment_create(item=item, key_result=key_result)

        roadmap_item_archive(item=item)

        assert item.alignments.count() == 1

    def test_unarchiving_a_live_card_changes_nothing(self, product):
        a, _ = cards(product, "AB")

        roadmap_item_unarchive(item=a)

        assert column(product) == [("A", 0), ("B", 1)]


class TestAlignmentCreate:
    def test_aligns_an_item_to_a_key_result(self, product, key_result, owning_pm):
        item = roadmap_item_create(product=product, title="A")

        alignment = alignment_create(
            item=item, key_result=key_result, created_by=owning_pm, note="Fewer drop-offs"
        )

        assert list(item.key_results.all()) == [key_result]
        assert (alignment.created_by, alignment.note) == (owning_pm, "Fewer drop-offs")

    def test_a_portfolio_level_key_result_is_fine(self, cycle, product):
        item = roadmap_item_create(product=product, title="A")
        key_result = KeyResultFactory(objective=ObjectiveFactory(cycle=cycle))

        assert alignment_create(item=item, key_result=key_result).pk is not None

    def test_refuses_a_key_result_of_another_portfolio(self, product, other_portfolio):
        item = roadmap_item_create(product=product, title="A")
        foreign = KeyResultFactory(
            objective=ObjectiveFactory(cycle=CycleFactory(portfolio=other_portfolio))
        )

        with pytest.raises(ValidationError) as error:
            alignment_create(item=item, key_result=foreign)

        assert "belongs to another portfolio" in error.value.message_dict["key_result"][0]
        assert not Alignment.objects.exists()

    def test_refuses_a_duplicate(self, product, key_result):
        item = roadmap_item_create(product=product, title="A")
        alignment_create(item=item, key_result=key_result)

        with pytest.raises(ValidationError, match="already aligned"):
            alignment_create(item=item, key_result=key_result, note="again")

        assert Alignment.objects.count() == 1

    def test_refuses_a_note_that_is_too_long(self, product, key_result):
        item = roadmap_item_create(product=product, title="A")

        with pytest.raises(ValidationError) as error:
            alignment_create(item=item, key_result=key_result, note="x" * 2001)

        assert "note" in error.value.message_dict
        assert not Alignment.objects.exists()


class TestAlignmentDelete:
    def test_unaligns_and_keeps_both_sides(self, product):
        alignment = AlignmentFactory(item=RoadmapItemFactory(product=product))
        item, key_result = alignment.item, alignment.key_result

        alignment_delete(alignment=alignment)

        assert not Alignment.objects.exists()
        assert RoadmapItem.objects.filter(pk=item.pk).exists()
        assert key_result.__class__.objects.filter(pk=key_result.pk).exists()
        assert list(RoadmapItem.objects.unaligned()) == [item]


class TestDependencyCreate:
    def test_records_that_one_item_waits_for_another(self, product, other_product):
        blocked = roadmap_item_create(product=product, title="Checkout v2")
        blocking = roadmap_item_create(product=other_product, title="New search API")

        dependency = dependency_create(blocked_item=blocked, blocking_item=blocking)

        assert (dependency.blocked_item, dependency.blocking_item) == (blocked, blocking)

    def test_refuses_a_loop_and_names_the_chain(self, product):
        a, b, c = cards(product, "ABC")
        dependency_create(blocked_item=a, blocking_item=b)
        dependency_create(blocked_item=b, blocking_item=c)

        with pytest.raises(ValidationError) as error:
            dependency_create(blocked_item=c, blocking_item=a)

        assert error.value.message_dict == {
            "blocking_item": ["This would create a cycle: C → A → B → C."]
        }
        assert Dependency.objects.count() == 2

    def test_refuses_the_reverse_of_an_existing_dependency(self, product):
        a, b = cards(product, "AB")
        dependency_create(blocked_item=a, blocking_item=b)

        with pytest.raises(ValidationError, match="cycle: B → A → B"):
            dependency_create(blocked_item=b, blocking_item=a)

    def test_a_diamond_is_not_a_loop(self, product):
        a, b, c, d = cards(product, "ABCD")
        for blocked, blocking in [(a, b), (a, c), (b, d), (c, d)]:
            dependency_create(blocked_item=blocked, blocking_item=blocking)

        dependency_create(blocked_item=a, blocking_item=d)

        assert Dependency.objects.count() == 5

    def test_refuses_an_item_depending_on_itself(self, product):
        (a,) = cards(product, "A")

        with pytest.raises(ValidationError) as error:
            dependency_create(blocked_item=a, blocking_item=a)

        assert "itself" in error.value.message_dict["blocking_item"][0]
        assert not Dependency.objects.exists()

    def test_refuses_an_item_of_another_portfolio(self, product, other_portfolio):
        (a,) = cards(product, "A")
        foreign = RoadmapItemFactory(product=ProductFactory(portfolio=other_portfolio))

        with pytest.raises(ValidationError) as error:
            dependency_create(blocked_item=a, blocking_item=foreign)

        assert "another portfolio" in error.value.message_dict["blocking_item"][0]
        assert not Dependency.objects.exists()

    def test_refuses_a_duplicate(self, product):
        a, b = cards(product, "AB")
        dependency_create(blocked_item=a, blocking_item=b)

        with pytest.raises(ValidationError) as error:
            dependency_create(blocked_item=a, blocking_item=b)

        assert error.value.message_dict[NON_FIELD_ERRORS] == ["This dependency already exists."]
        assert Dependency.objects.count() == 1

    def test_query_count_does_not_grow_with_the_graph(self, product):
        def queries_to_link_a_chain_of(length: int) -> int:
            items = [RoadmapItemFactory(product=product) for _ in range(length + 1)]
            for blocked, blocking in itertools.pairwise(items):
                DependencyFactory(blocked_item=blocked, blocking_item=blocking)
            first, last = (
                RoadmapItem.objects.select_related("product")
                .filter(pk__in=[items[0].pk, items[-1].pk])
                .order_by("pk")
            )
            with CaptureQueriesContext(connection) as queries:
                dependency_create(blocked_item=first, blocking_item=last)
            return len(queries)

        assert queries_to_link_a_chain_of(2) == queries_to_link_a_chain_of(25)


class TestDependencyDelete:
    def test_removes_the_link_only(self, product):
        dependency = DependencyFactory(blocked_item=RoadmapItemFactory(product=product))

        dependency_delete(dependency=dependency)

        assert not Dependency.objects.exists()
        assert RoadmapItem.objects.count() == 2


class TestItemChangesAreRecorded:
    def test_status_and_horizon_changes_name_who_and_what(self, product, owning_pm):
        from roadmap.models import RoadmapItemChange
        from roadmap.services import roadmap_item_create, roadmap_item_move, roadmap_item_update

        item = roadmap_item_create(product=product, title="Webhooks", horizon="next")

        roadmap_item_update(item=item, actor=owning_pm, status="in_progress", title="Webhooks v2")
        roadmap_item_move(item=item, horizon="now", position=0, actor=owning_pm)
        roadmap_item_move(item=item, horizon="now", position=0, actor=owning_pm)

        changes = list(
            RoadmapItemChange.objects.order_by("id").values_list(
                "field", "before", "after", "actor"
            )
        )
        assert changes == [
            ("status", "planned", "in_progress", owning_pm.pk),
            ("horizon", "next", "now", owning_pm.pk),
        ]
