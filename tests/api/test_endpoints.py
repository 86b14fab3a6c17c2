"""What the API answers and stores: visibility, services, errors, filters and actions."""

import base64
import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from okrs.models import CheckIn, KeyResult, Objective
from okrs.status import expected_progress, status_of
from roadmap.models import RoadmapItem, RoadmapItemChange
from tests.okrs import builders
from tests.roadmap.factories import RoadmapItemFactory


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


class TestVisibility:
    @pytest.mark.parametrize(
        ("resource", "attribute"),
        [
            ("roadmap-items", "item"),
            ("key-results", "key_result"),
            ("objectives", "objective"),
            ("check-ins", "check_in"),
            ("dependencies", "dependency"),
            ("alignments", "alignment"),
        ],
    )
    def test_lists_show_only_the_callers_portfolios(
        self, world, director, outsider, api, resource, attribute
    ):
        mine = getattr(world, attribute).pk

        assert mine in ids(api(director).get(f"/api/v1/{resource}/"))
        assert mine not in ids(api(outsider).get(f"/api/v1/{resource}/"))

    def test_another_portfolios_item_is_a_404_with_the_error_shape(self, world, director, api):
        response = api(director).get(f"/api/v1/roadmap-items/{world.foreign_item.pk}/")

        assert response.status_code == 404
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}

    def test_a_foreign_key_result_in_a_body_is_an_unknown_id(self, world, director, api):
        response = api(director).post(
            "/api/v1/alignments/",
            {"item": world.item.pk, "key_result": world.foreign_key_result.pk},
            format="json",
        )

        assert response.status_code == 400
        assert "Invalid pk" in response.json()["error"]["fields"]["key_result"][0]

    def test_member_e_mails_are_for_directors_only(self, world, director, stakeholder, api):
        path = f"/api/v1/portfolios/{world.portfolio.pk}/"

        for_director = api(director).get(path).json()["members"]
        for_stakeholder = api(stakeholder).get(path).json()["members"]

        assert all("email" in member for member in for_director)
        assert not any("email" in member for member in for_stakeholder)
        assert {member["role"] for member in for_stakeholder} >= {"director", "stakeholder"}


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


class TestWritesGoThroughServices:
    def test_a_check_in_rolls_up_like_one_from_the_page(
        self, world, contributor, api, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = api(contributor).post(
                "/api/v1/check-ins/",
                {"key_result": world.key_result.pk, "value": "60", "confidence": 8},
                format="json",
            )

        assert response.status_code == 201
        assert response.json()["author"] == contributor.pk
        key_result = KeyResult.objects.get(pk=world.key_result.pk)
        assert key_result.current_value == Decimal(60)
        assert key_result.progress == pytest.approx(0.6)
        assert Objective.objects.get(pk=world.objective.pk).progress == pytest.approx(0.6)
        assert Objective.objects.get(pk=world.portfolio_objective.pk).progress == pytest.approx(0.6)

    def test_service_validation_errors_are_400_per_field_and_nothing_is_saved(
        self, world, director, api
    ):
        response = api(director).post(
            "/api/v1/check-ins/",
            {
                "key_result": world.key_result.pk,
                "value": "5",
                "checked_in_at": (timezone.now() + datetime.timedelta(days=2)).isoformat(),
            },
            format="json",
        )

        assert response.status_code == 400
        assert response.json()["error"]["fields"] == {
            "checked_in_at": ["A check-in cannot be dated in the future."]
        }
        assert CheckIn.objects.filter(key_result=world.key_result).count() == 1

    def test_model_rules_come_back_as_messages(self, world, director, api):
        response = api(director).post(
            "/api/v1/key-results/",
            {
                "objective": world.objective.pk,
                "title": "Refunds",
                "measure": "increase",
                "start_value": "10",
                "target_value": "5",
            },
            format="json",
        )

        assert response.status_code == 400
        error = response.json()["error"]
        assert error["message"] == "To increase, the target must be above the start value."
        assert error["fields"] == {"non_field_errors": [error["message"]]}

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("NaN", "A valid number is required."),
            ("Infinity", "A valid number is required."),
            ("1e400", "Ensure that there are no more than 18 digits in total."),
            ("12345678901234567890", "Ensure that there are no more than 18 digits in total."),
            ([1], "A valid number is required."),
            ({"a": 1}, "A valid number is required."),
            (True, "A valid number is required."),
        ],
    )
    def test_bad_numbers_are_400_never_500(self, world, director, api, value, message):
        response = api(director).post(
            "/api/v1/check-ins/",
            {"key_result": world.key_result.pk, "value": value},
            format="json",
        )

        assert response.status_code == 400
        assert response.json()["error"]["fields"]["value"] == [message]

    @pytest.mark.parametrize("key_result", [0, -1, 2**70, "abc", None, 99999])
    def test_unknown_or_impossible_ids_are_400(self, world, director, api, key_result):
        response = api(director).post(
            "/api/v1/check-ins/", {"key_result": key_result, "value": "1"}, format="json"
        )

        assert response.status_code == 400
        assert "key_result" in response.json()["error"]["fields"]

    @pytest.mark.parametrize("pk", ["abc", "0", str(2**70)])
    def test_impossible_ids_in_the_path_are_404(self, world, director, api, pk):
        assert api(director).get(f"/api/v1/key-results/{pk}/").status_code == 404

    def test_malformed_json_is_400(self, world, director, api):
        response = api(director).generic(
            "POST", "/api/v1/check-ins/", "{not json", content_type="application/json"
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "parse_error"

    def test_check_ins_cannot_be_edited_or_deleted(self, world, director, api):
        path = f"/api/v1/check-ins/{world.check_in.pk}/"

        assert api(director).patch(path, {"value": "1"}, format="json").status_code == 405
        assert api(director).delete(path).status_code == 405
        assert CheckIn.objects.get(pk=world.check_in.pk).value == Decimal(10)

    def test_move_archive_and_unarchive_an_item(self, world, owning_pm, api):
        client = api(owning_pm)
        path = f"/api/v1/roadmap-items/{world.other_item.pk}"

        moved = client.post(f"{path}/move/", {"horizon": "now", "position": 0}, format="json")
        archived = client.post(f"{path}/archive/")
        restored = client.post(f"{path}/unarchive/")

        assert moved.status_code == 200
        assert moved.json()["horizon"] == "now"
        assert RoadmapItemChange.objects.filter(item=world.other_item, actor=owning_pm).exists()
        assert archived.json()["is_archived"] is True
        assert restored.json()["is_archived"] is False
        assert RoadmapItem.objects.get(pk=world.other_item.pk).horizon == "now"

    def test_a_dependency_loop_is_refused_with_the_chain(self, world, director, api):
        response = api(director).post(
            "/api/v1/dependencies/",
            {"blocked_item": world.other_item.pk, "blocking_item": world.item.pk},
            format="json",
        )

        assert response.status_code == 400
        assert "This would create a cycle" in response.json()["error"]["fields"]["blocking_item"][0]

    def test_archive_a_product_and_its_roadmap_becomes_read_only(self, world, director, api):
        client = api(director)
        client.post(f"/api/v1/products/{world.product.pk}/archive/")

        response = client.post(
            "/api/v1/roadmap-items/",
            {"product": world.product.pk, "title": "Late idea"},
            format="json",
        )

        assert response.status_code == 403


class TestFilters:
    @pytest.fixture
    def spread(self, world, director, contributor, django_capture_on_commit_callbacks):
        """Key results at 0 %, 10 %, 25 %, 35 % (low confidence) and 100 % progress."""
        expected = expected_progress(world.cycle)
        assert 0.3 < expected < 0.4, "the cycle fixture is a third through"
        with django_capture_on_commit_callbacks(execute=True):
            rows = {
                "zero": builders.key_result(world.objective, "Zero"),
                "ten": builders.key_result(world.objective, "Ten"),
                "quarter": builders.key_result(world.objective, "Quarter"),
                "low": builders.key_result(world.objective, "Low confidence"),
                "done": builders.key_result(world.objective, "Done"),
            }
            builders.check_in(rows["ten"], director, "10", confidence=8)
            builders.check_in(rows["quarter"], director, "25", confidence=8)
            builders.check_in(rows["low"], director, "35", confidence=2)
            builders.check_in(rows["done"], director, "100", confidence=9)
        return rows

    @pytest.mark.parametrize(
        ("status", "expected_titles"),
        [
            ("off_track", {"Zero", "Conversion"}),
            ("at_risk", {"Ten", "Low confidence"}),
            ("achieved", {"Done"}),
            ("on_track", {"Quarter"}),
            ("no_data", set()),
        ],
    )
    def test_status_is_derived_like_the_pages(
        self, world, spread, director, api, status, expected_titles
    ):
        response = api(director).get(f"/api/v1/key-results/?status={status}")

        titles = {row["title"] for row in response.json()["results"]}
        assert titles == expected_titles
        for row in response.json()["results"]:
            assert row["status"] == status
        visible = KeyResult.objects.filter(objective__cycle=world.cycle)
        for key_result in visible.select_related("objective__cycle"):
            computed = status_of(
                key_result.progress,
                expected_progress(key_result.objective.cycle),
                key_result.confidence,
            )
            assert (key_result.title in titles) == (computed == status)

    def test_objective_status_filter(self, world, spread, director, api):
        response = api(director).get(f"/api/v1/objectives/?status=off_track&cycle={world.cycle.pk}")

        objective = Objective.objects.get(pk=world.objective.pk)
        expected = status_of(objective.progress, expected_progress(world.cycle)).value
        assert (world.objective.pk in ids(response)) == (expected == "off_track")

    def test_horizon_product_owner_and_ordering(self, world, director, owning_pm, api):
        RoadmapItemFactory(product=world.product, title="Now thing", horizon="now", owner=owning_pm)

        now = api(director).get(f"/api/v1/roadmap-items/?horizon=now&product={world.product.pk}")
        owned = api(director).get(f"/api/v1/roadmap-items/?owner={owning_pm.pk}")
        ordered = api(director).get("/api/v1/roadmap-items/?ordering=-title")

        assert [row["title"] for row in now.json()["results"]] == ["Now thing"]
        assert [row["title"] for row in owned.json()["results"]] == ["Now thing"]
        titles = [row["title"] for row in ordered.json()["results"]]
        assert titles == sorted(titles, reverse=True)

    def test_updated_since(self, world, director, api):
        later = timezone.now() + datetime.timedelta(seconds=1)
        RoadmapItem.objects.filter(pk=world.item.pk).update(
            updated_at=later + datetime.timedelta(minutes=1)
        )

        response = api(director).get("/api/v1/roadmap-items/", {"updated_since": later.isoformat()})

        assert ids(response) == {world.item.pk}

    def test_bad_filter_values_are_400(self, world, director, api):
        response = api(director).get("/api/v1/key-results/?status=great&cycle=abc")

        assert response.status_code == 400
        assert set(response.json()["error"]["fields"]) == {"status", "cycle"}

    def test_check_ins_page_newest_first_by_cursor_through_the_whole_history(
        self, world, director, api
    ):
        start = timezone.now() - datetime.timedelta(days=10)
        for day in range(7):
            builders.check_in(
                world.key_result, director, str(day), checked_in_at=start + datetime.timedelta(day)
            )
        expected = list(
            CheckIn.objects.filter(key_result__objective__cycle__portfolio=world.portfolio)
            .order_by("-checked_in_at", "-id")
            .values_list("id", flat=True)
        )
        client = api(director)

        seen, pages, url = [], [], "/api/v1/check-ins/?page_size=3"
        while url:
            page = client.get(url).json()
            pages.append(page)
            seen += [check_in["id"] for check_in in page["results"]]
            url = page["next"]

        assert seen == expected
        assert len(pages) == -(-len(expected) // 3)
        assert "count" not in pages[0]
        assert pages[0]["previous"] is None
        assert client.get(pages[1]["previous"]).json()["results"] == pages[0]["results"]
        assert "?page=" not in (pages[0]["next"] or "")

    def test_check_ins_ignore_an_ordering_and_refuse_a_forged_cursor(self, world, director, api):
        client = api(director)

        newest_first = client.get("/api/v1/check-ins/").json()["results"]
        asked_oldest_first = client.get("/api/v1/check-ins/?ordering=checked_in_at").json()
        bad_offset = client.get(f"/api/v1/check-ins/?cursor={b64('o=abc')}")
        bad_position = client.get(f"/api/v1/check-ins/?cursor={b64('p=yesterday')}")

        assert asked_oldest_first["results"] == newest_first
        for forged in (bad_offset, bad_position):
            assert forged.status_code == 404
            assert forged.json()["error"]["code"] == "not_found"

    def test_pagination_caps_the_page_size(self, world, director, api):
        for index in range(3):
            RoadmapItemFactory(product=world.product, title=f"Extra {index}")

        page = api(director).get("/api/v1/roadmap-items/?page_size=2&page=2").json()
        huge = api(director).get("/api/v1/roadmap-items/?page_size=100000").json()

        assert page["count"] == 6
        assert len(page["results"]) == 2
        assert page["next"]
        assert page["previous"]
        assert len(huge["results"]) == 6
        assert api(director).get("/api/v1/roadmap-items/?page=99").status_code == 404
