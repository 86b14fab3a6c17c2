"""Optimistic concurrency: a save from an outdated version is refused, never applied.

Two people open the same roadmap item, key result or objective; the first saves; the
second's save is refused with "changed since you opened it" and the first person's
values are intact (pages: 409, or 200 with the message for htmx; API: 409 `conflict`).
"""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from okrs import services as okr_services
from okrs.models import KeyResult, Objective
from okrs.services import StaleEditError
from roadmap import services as roadmap_services
from roadmap.models import Horizon, RoadmapItem
from tests.api.conftest import client_for
from tests.okrs import builders
from tests.roadmap.factories import RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
STALE = "since you opened it"


@pytest.fixture
def item(product, owning_pm):
    return RoadmapItemFactory(
        product=product, title="One-page checkout", owner=owning_pm, horizon=Horizon.NEXT
    )


@pytest.fixture
def okrs(cycle, product, director, owning_pm, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        objective = builders.objective(cycle, "Faster checkout", product=product, owner=owning_pm)
        key_result = builders.key_result(objective, "Checkout conversion", owner=owning_pm)
    return {"objective": objective, "key_result": key_result}


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# Services ------------------------------------------------------------------------------


class TestServices:
    def test_roadmap_item_update_bumps_the_version_and_refuses_a_stale_one(
        self, item, owning_pm, director
    ):
        assert item.version == 1
        roadmap_services.roadmap_item_update(
            item=item, actor=owning_pm, expected_version=1, title="First"
        )
        assert RoadmapItem.objects.get(pk=item.pk).version == 2
        stale_copy = RoadmapItem.objects.get(pk=item.pk)
        stale_copy.version = 1
        with pytest.raises(StaleEditError) as refused:
            roadmap_services.roadmap_item_update(
                item=RoadmapItem.objects.get(pk=item.pk),
                actor=director,
                expected_version=1,
                title="Second",
            )
        assert STALE in refused.value.messages[0]
        assert "Reload" in refused.value.messages[0]
        assert refused.value.current_version == 2
        fresh = RoadmapItem.objects.get(pk=item.pk)
        assert (fresh.title, fresh.version) == ("First", 2)

    def test_roadmap_conflict_names_who_changed_the_status(self, item, owning_pm, director):
        roadmap_services.roadmap_item_update(
            item=item, actor=owning_pm, expected_version=1, status="in_progress"
        )
        with pytest.raises(StaleEditError) as refused:
            roadmap_services.roadmap_item_update(
                item=RoadmapItem.objects.get(pk=item.pk), actor=director, expected_version=1
            )
        assert "by Priya Owner" in refused.value.messages[0]

    def test_without_expected_version_the_save_goes_through(self, item, owning_pm):
        roadmap_services.roadmap_item_update(item=item, actor=owning_pm, title="A")
        roadmap_services.roadmap_item_update(item=item, actor=owning_pm, title="B")
        fresh = RoadmapItem.objects.get(pk=item.pk)
        assert (fresh.title, fresh.version) == ("B", 3)

    def test_moves_are_not_version_checked_and_keep_the_version(self, item, owning_pm):
        roadmap_services.roadmap_item_move(item=item, horizon=Horizon.NOW, position=0)
        assert RoadmapItem.objects.get(pk=item.pk).version == 1

    def test_key_result_update_refuses_a_stale_version(self, okrs):
        key_result = okrs["key_result"]
        okr_services.key_result_update(key_result=key_result, expected_version=1, title="One")
        with pytest.raises(StaleEditError) as refused:
            okr_services.key_result_update(key_result=key_result, expected_version=1, title="Two")
        assert "this key result" in refused.value.messages[0]
        fresh = KeyResult.objects.get(pk=key_result.pk)
        assert (fresh.title, fresh.version) == ("One", 2)

    def test_check_ins_do_not_make_an_open_key_result_form_stale(self, okrs, owning_pm):
        key_result = okrs["key_result"]
        builders.check_in(key_result, owning_pm, 10)
        okr_services.key_result_update(key_result=key_result, expected_version=1, title="Ok")
        assert KeyResult.objects.get(pk=key_result.pk).title == "Ok"

    def test_objective_update_refuses_a_stale_version(self, okrs):
        objective = okrs["objective"]
        okr_services.objective_update(objective=objective, expected_version=1, title="One")
        with pytest.raises(StaleEditError):
            okr_services.objective_update(objective=objective, expected_version=1, title="Two")
        fresh = Objective.objects.get(pk=objective.pk)
        assert (fresh.title, fresh.version) == ("One", 2)


# Pages ---------------------------------------------------------------------------------


def item_data(**overrides):
    return {"title": "Checkout", "status": "planned", "horizon": "next", **overrides}


class TestRoadmapItemDialog:
    def test_the_dialog_carries_the_version(self, item, owning_pm):
        html = signed_in(owning_pm).get(
            reverse("roadmap_item_edit", args=["acme", item.pk]), **HTMX
        )
        assert 'name="version" value="1"' in html.content.decode()

    def test_second_save_is_refused_with_the_message_and_the_first_is_kept(
        self, item, owning_pm, director
    ):
        url = reverse("roadmap_item_edit", args=["acme", item.pk])
        priya, dana = signed_in(owning_pm), signed_in(director)
        # Both open the dialog at version 1.
        assert 'value="1"' in priya.get(url, **HTMX).content.decode()
        assert 'value="1"' in dana.get(url, **HTMX).content.decode()
        first = priya.post(url, item_data(title="Priya's title", version=1), **HTMX)
        assert first.status_code == 204
        second = dana.post(url, item_data(title="Dana's title", version=1), **HTMX)
        html = second.content.decode()
        assert second.status_code == 200  # htmx swaps only 2xx: the dialog shows the message
        assert STALE in html
        assert "data-stale-reload" in html
        assert f'href="{url}"' in html
        fresh = RoadmapItem.objects.get(pk=item.pk)
        assert (fresh.title, fresh.version) == ("Priya's title", 2)
        # Reloading gives the fresh version; saving from it works.
        assert 'name="version" value="2"' in dana.get(url, **HTMX).content.decode()
        third = dana.post(url, item_data(title="Dana's title", version=2), **HTMX)
        assert third.status_code == 204
        assert RoadmapItem.objects.get(pk=item.pk).title == "Dana's title"

    def test_without_htmx_a_stale_save_is_a_409_page(self, item, owning_pm, director):
        url = reverse("roadmap_item_edit", args=["acme", item.pk])
        assert signed_in(owning_pm).post(url, item_data(title="A", version=1)).status_code == 302
        response = signed_in(director).post(url, item_data(title="B", version=1))
        assert response.status_code == 409
        assert STALE in response.content.decode()
        assert RoadmapItem.objects.get(pk=item.pk).title == "A"

    def test_stale_dialog_queries_do_not_grow_with_edits(self, item, owning_pm, director):
        url = reverse("roadmap_item_edit", args=["acme", item.pk])
        priya, dana = signed_in(owning_pm), signed_in(director)

        def refused_queries(edits):
            for _ in range(edits):
                version = RoadmapItem.objects.get(pk=item.pk).version
                priya.post(url, item_data(status="in_progress", version=version), **HTMX)
                priya.post(url, item_data(status="planned", version=version + 1), **HTMX)
            with CaptureQueriesContext(connection) as queries:
                response = dana.post(url, item_data(version=1), **HTMX)
            assert STALE in response.content.decode()
            return len(queries)

        assert refused_queries(1) == refused_queries(5)


class TestKeyResultAndObjectiveForms:
    def kr_data(self, **overrides):
        return {
            "title": "Checkout conversion",
            "measure": "increase",
            "start_value": "0",
            "target_value": "100",
            "weight": "1",
            **overrides,
        }

    def test_second_key_result_save_is_refused_and_the_first_kept(self, okrs, owning_pm, director):
        url = reverse("key_result_edit", args=["acme", okrs["key_result"].pk])
        priya, dana = signed_in(owning_pm), signed_in(director)
        assert 'name="version" value="1"' in priya.get(url, **HTMX).content.decode()
        assert (
            priya.post(url, self.kr_data(target_value="80", version=1), **HTMX).status_code == 204
        )
        second = dana.post(url, self.kr_data(target_value="120", version=1), **HTMX)
        html = second.content.decode()
        assert second.status_code == 200
        assert "Someone else changed this key result since you opened it" in html
        assert "data-stale-reload" in html
        assert KeyResult.objects.get(pk=okrs["key_result"].pk).target_value == 80
        # Without htmx the same refusal is a 409.
        third = dana.post(url, self.kr_data(target_value="120", version=1))
        assert third.status_code == 409
        assert KeyResult.objects.get(pk=okrs["key_result"].pk).target_value == 80

    def test_second_objective_save_is_refused(self, okrs, owning_pm, director):
        url = reverse("objective_edit", args=["acme", okrs["objective"].pk])
        data = {"title": "Faster checkout", "kind": "committed", "weight": "1", "version": 1}
        priya, dana = signed_in(owning_pm), signed_in(director)
        assert 'name="version" value="1"' in priya.get(url, **HTMX).content.decode()
        assert priya.post(url, {**data, "title": "Priya's"}, **HTMX).status_code == 204
        response = dana.post(url, {**data, "title": "Dana's"})
        assert response.status_code == 409
        assert "Someone else changed this objective" in response.content.decode()
        assert Objective.objects.get(pk=okrs["objective"].pk).title == "Priya's"


# API -----------------------------------------------------------------------------------


class TestApi:
    def test_items_expose_their_version_and_refuse_a_stale_patch(self, item, owning_pm, director):
        url = f"/api/v1/roadmap-items/{item.pk}/"
        priya, dana = client_for(owning_pm), client_for(director)
        assert priya.get(url).json()["version"] == 1
        first = priya.patch(url, {"title": "Priya's", "version": 1}, format="json")
        assert first.status_code == 200
        assert first.json()["version"] == 2
        second = dana.patch(url, {"title": "Dana's", "version": 1}, format="json")
        assert second.status_code == 409
        error = second.json()["error"]
        assert error["code"] == "conflict"
        assert STALE in error["message"]
        assert error["fields"] == {}
        assert error["current_version"] == 2
        assert RoadmapItem.objects.get(pk=item.pk).title == "Priya's"

    def test_a_patch_without_version_still_saves(self, item, owning_pm):
        response = client_for(owning_pm).patch(
            f"/api/v1/roadmap-items/{item.pk}/", {"title": "Any"}, format="json"
        )
        assert response.status_code == 200
        assert response.json()["version"] == 2

    def test_key_results_and_objectives_answer_409_when_stale(self, okrs, owning_pm):
        api = client_for(owning_pm)
        for url in (
            f"/api/v1/key-results/{okrs['key_result'].pk}/",
            f"/api/v1/objectives/{okrs['objective'].pk}/",
        ):
            assert api.get(url).json()["version"] == 1
            assert api.patch(url, {"title": "New", "version": 1}, format="json").status_code == 200
            response = api.patch(url, {"title": "Newer", "version": 1}, format="json")
            assert response.status_code == 409, url
            assert response.json()["error"]["code"] == "conflict"
        assert KeyResult.objects.get(pk=okrs["key_result"].pk).title == "New"
        assert Objective.objects.get(pk=okrs["objective"].pk).title == "New"

    def test_the_schema_documents_409_on_versioned_updates(self, director):
        schema = client_for(director).get("/api/schema/", {"format": "json"}).json()
        item_patch = schema["paths"]["/api/v1/roadmap-items/{id}/"]["patch"]["responses"]
        assert "409" in item_patch
        cycle_patch = schema["paths"]["/api/v1/cycles/{id}/"]["patch"]["responses"]
        assert "409" not in cycle_patch
