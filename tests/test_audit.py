"""The audit trail: what django-auditlog records (who, when, before/after) for web and API
writes, what it leaves out, and the directors' history page /p/<slug>/history/<kind>/<pk>/."""

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from okrs.models import CheckIn, KeyResult, Measure, Objective
from portfolio.models import Membership, Role
from roadmap import services as roadmap_services
from roadmap.models import Alignment, Horizon, ItemStatus, RoadmapItem, ShareLink
from tests.okrs import builders
from tests.roadmap.factories import RoadmapItemFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
CREATE, UPDATE, DELETE = LogEntry.Action.CREATE, LogEntry.Action.UPDATE, LogEntry.Action.DELETE


def entries_of(model, pk):
    content_type = ContentType.objects.get_for_model(model)
    return LogEntry.objects.filter(content_type=content_type, object_pk=str(pk)).order_by("pk")


def last_entry(model, pk) -> LogEntry:
    return entries_of(model, pk).last()


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def okrs(cycle, product, director, owning_pm, contributor):
    top = builders.objective(cycle, "Grow the business", owner=director)
    objective = builders.objective(
        cycle, "Faster checkout", product=product, parent=top, owner=owning_pm
    )
    key_result = builders.key_result(
        objective, "Conversion", owner=contributor, measure=Measure.INCREASE
    )
    return {"top": top, "objective": objective, "key_result": key_result}


@pytest.fixture
def item(product, owning_pm):
    return RoadmapItemFactory(
        product=product,
        title="One-click pay",
        owner=owning_pm,
        status=ItemStatus.PLANNED,
        horizon=Horizon.NEXT,
    )


class TestWebWritesAreRecordedWithTheActor:
    def test_objective_create_and_edit(self, client, director, cycle, okrs):
        client.force_login(director)
        data = {"cycle": cycle.pk, "title": "Delight admins", "kind": "committed", "weight": "1"}
        assert (
            client.post(reverse("objective_create", args=["acme"]), data, **HTMX).status_code == 204
        )
        objective = Objective.objects.get(title="Delight admins")
        created = last_entry(Objective, objective.pk)
        assert (created.action, created.actor) == (CREATE, director)

        edit = reverse("objective_edit", args=["acme", objective.pk])
        data |= {"title": "Delight every admin", "version": objective.version}
        assert client.post(edit, data, **HTMX).status_code == 204
        changed = last_entry(Objective, objective.pk)
        assert (changed.action, changed.actor) == (UPDATE, director)
        assert changed.changes_dict["title"] == ["Delight admins", "Delight every admin"]

    def test_key_result_edit(self, client, director, okrs):
        key_result = okrs["key_result"]
        client.force_login(director)
        data = {
            "title": "Checkout conversion",
            "measure": "increase",
            "start_value": "0",
            "target_value": "80",
            "weight": "1",
            "version": getattr(key_result, "version", ""),
        }
        url = reverse("key_result_edit", args=["acme", key_result.pk])
        assert client.post(url, data, **HTMX).status_code == 204
        entry = last_entry(KeyResult, key_result.pk)
        assert (entry.action, entry.actor) == (UPDATE, director)
        assert entry.changes_dict["title"] == ["Conversion", "Checkout conversion"]
        assert Decimal(entry.changes_dict["target_value"][1]) == 80

    def test_check_in_creates_an_entry_and_updates_the_key_result(
        self, client, contributor, okrs, django_capture_on_commit_callbacks
    ):
        key_result = okrs["key_result"]
        client.force_login(contributor)
        url = reverse("key_result_detail", args=["acme", key_result.pk])
        with django_capture_on_commit_callbacks(execute=True):
            prefix = f"kr{key_result.pk}"
            response = client.post(url, {f"{prefix}-value": "42", f"{prefix}-confidence": "7"})
        assert response.status_code == 302
        check_in = CheckIn.objects.get(key_result=key_result)
        created = last_entry(CheckIn, check_in.pk)
        assert (created.action, created.actor) == (CREATE, contributor)
        assert Decimal(created.changes_dict["value"][1]) == 42
        updated = last_entry(KeyResult, key_result.pk)
        assert (updated.action, updated.actor) == (UPDATE, contributor)
        assert set(updated.changes_dict) >= {"current_value", "confidence"}
        # The roll-up's numbers are derived, not anyone's change.
        assert not any(
            "progress" in entry.changes_dict
            for entry in LogEntry.objects.all()
            if entry.changes_dict
        )

    def test_roadmap_item_status_change(self, client, owning_pm, item):
        client.force_login(owning_pm)
        url = reverse("my_work_item_update", args=[item.pk])
        client.post(url, {"status": ItemStatus.IN_PROGRESS, "horizon": Horizon.NOW})
        entry = last_entry(RoadmapItem, item.pk)
        assert (entry.action, entry.actor) == (UPDATE, owning_pm)
        assert entry.changes_dict["status"] == ["planned", "in_progress"]
        assert entry.changes_dict["horizon"] == ["next", "now"]

    def test_a_pure_reorder_is_not_recorded(self, client, owning_pm, item, product):
        RoadmapItemFactory(product=product, horizon=Horizon.NEXT, position=0)
        before = entries_of(RoadmapItem, item.pk).count()
        client.force_login(owning_pm)
        url = reverse("roadmap_item_move", args=["acme", item.pk])
        client.post(url, {"horizon": "next", "position": 0}, **HTMX)
        assert RoadmapItem.objects.get(pk=item.pk).position == 0
        assert entries_of(RoadmapItem, item.pk).count() == before

    def test_alignment_create_and_delete(self, client, director, cycle, okrs, item):
        key_result = okrs["key_result"]
        client.force_login(director)
        align = reverse("item_align", args=["acme", item.pk])
        client.post(align, {"cycle": cycle.pk, "key_result": key_result.pk})
        alignment = Alignment.objects.get(item=item, key_result=key_result)
        created = last_entry(Alignment, alignment.pk)
        assert (created.action, created.actor) == (CREATE, director)

        client.post(reverse("alignment_remove", args=["acme", alignment.pk]))
        assert not Alignment.objects.filter(pk=alignment.pk).exists()
        deleted = last_entry(Alignment, alignment.pk)
        assert (deleted.action, deleted.actor) == (DELETE, director)
        assert deleted.changes_dict["key_result"][0] == str(key_result.pk)

    def test_membership_role_change_and_removal(self, client, director, portfolio, contributor):
        membership = Membership.objects.get(user=contributor, portfolio=portfolio)
        client.force_login(director)
        url = reverse("settings_member", args=["acme", contributor.pk])
        client.post(url, {"action": "role", "role": Role.STAKEHOLDER})
        changed = last_entry(Membership, membership.pk)
        assert (changed.action, changed.actor) == (UPDATE, director)
        assert changed.changes_dict["role"] == ["contributor", "stakeholder"]

        client.post(url, {"action": "remove"})
        removed = last_entry(Membership, membership.pk)
        assert (removed.action, removed.actor) == (DELETE, director)

    def test_share_link_create_and_revoke_never_record_the_token(self, client, director, portfolio):
        client.force_login(director)
        response = client.post(reverse("share_links", args=["acme"]), {"label": "Board"})
        token = response.context["token"]
        link = ShareLink.objects.get(label="Board")
        created = last_entry(ShareLink, link.pk)
        assert (created.action, created.actor) == (CREATE, director)

        client.post(reverse("share_link_revoke", args=["acme", link.pk]))
        revoked = last_entry(ShareLink, link.pk)
        assert (revoked.action, revoked.actor) == (UPDATE, director)
        assert "revoked_at" in revoked.changes_dict

        client.post(reverse("share_link_recreate", args=["acme", link.pk]))
        client.logout()
        client.get(reverse("share_page", args=[token]))
        link.refresh_from_db()
        for entry in LogEntry.objects.all():
            text = f"{entry.changes} {entry.object_repr} {entry.serialized_data}"
            assert link.token_hash not in text
            assert token not in text
            assert "token_hash" not in (entry.changes or {})
            assert "view_count" not in (entry.changes or {})


class TestApiWritesAreRecordedWithTheTokenUser:
    def test_objective_patch_and_delete(self, director, okrs):
        objective = okrs["objective"]
        path = f"/api/v1/objectives/{objective.pk}/"
        response = api(director).patch(path, {"title": "Faster, safer checkout"}, format="json")
        assert response.status_code == 200
        entry = last_entry(Objective, objective.pk)
        assert (entry.action, entry.actor) == (UPDATE, director)
        assert entry.changes_dict["title"] == ["Faster checkout", "Faster, safer checkout"]

        key_result = okrs["key_result"]
        assert api(director).delete(f"/api/v1/key-results/{key_result.pk}/").status_code == 204
        deleted = last_entry(KeyResult, key_result.pk)
        assert (deleted.action, deleted.actor) == (DELETE, director)

    def test_check_in_post(self, contributor, okrs, django_capture_on_commit_callbacks):
        key_result = okrs["key_result"]
        with django_capture_on_commit_callbacks(execute=True):
            response = api(contributor).post(
                "/api/v1/check-ins/",
                {"key_result": key_result.pk, "value": "60", "confidence": 8},
                format="json",
            )
        assert response.status_code == 201
        created = last_entry(CheckIn, response.json()["id"])
        assert (created.action, created.actor) == (CREATE, contributor)
        updated = last_entry(KeyResult, key_result.pk)
        assert (updated.action, updated.actor) == (UPDATE, contributor)

    def test_roadmap_item_patch(self, owning_pm, item):
        response = api(owning_pm).patch(
            f"/api/v1/roadmap-items/{item.pk}/", {"status": "in_progress"}, format="json"
        )
        assert response.status_code == 200
        entry = last_entry(RoadmapItem, item.pk)
        assert (entry.action, entry.actor) == (UPDATE, owning_pm)
        assert entry.changes_dict["status"] == ["planned", "in_progress"]

    def test_alignment_post_and_delete(self, director, okrs, item):
        response = api(director).post(
            "/api/v1/alignments/",
            {"item": item.pk, "key_result": okrs["key_result"].pk},
            format="json",
        )
        assert response.status_code == 201
        pk = response.json()["id"]
        assert last_entry(Alignment, pk).actor == director
        assert api(director).delete(f"/api/v1/alignments/{pk}/").status_code == 204
        deleted = last_entry(Alignment, pk)
        assert (deleted.action, deleted.actor) == (DELETE, director)


def history_url(kind, pk, slug="acme"):
    return reverse("object_history", args=[slug, kind, pk])


class TestHistoryPage:
    def test_shows_before_and_after_with_labels_and_the_actor(
        self, client, director, owning_pm, item
    ):
        client.force_login(owning_pm)
        client.post(
            reverse("my_work_item_update", args=[item.pk]),
            {"status": ItemStatus.IN_PROGRESS, "horizon": Horizon.NOW},
        )
        client.force_login(director)
        response = client.get(history_url("roadmap-item", item.pk))
        html = response.content.decode()
        assert response.status_code == 200
        assert "One-click pay" in html
        assert "Priya Owner" in html
        assert '<th scope="row" class="history-change__label">Status</th>' in html
        assert '<td class="history-change__before">Planned</td>' in html
        assert '<td class="history-change__after">In progress</td>' in html
        assert html.index("Changed") < html.index("Created")  # newest first

    def test_key_result_history_includes_check_ins_and_deleted_alignments(
        self, client, director, cycle, okrs, item
    ):
        key_result = okrs["key_result"]
        builders.check_in(key_result, director, "12")
        alignment = roadmap_services.alignment_create(
            item=item, key_result=key_result, created_by=director
        )
        roadmap_services.alignment_delete(alignment=alignment)
        client.force_login(director)
        html = client.get(history_url("key-result", key_result.pk)).content.decode()
        assert "Check-in:" in html
        assert "Alignment:" in html
        assert "Deleted" in html
        assert "One-click pay" in html  # the alignment's item, by name

    def test_foreign_keys_show_names(self, client, director, owning_pm, contributor, item):
        roadmap_services.roadmap_item_update(item=item, actor=director, owner=contributor)
        client.force_login(director)
        html = client.get(history_url("roadmap-item", item.pk)).content.decode()
        assert '<td class="history-change__before">Priya Owner</td>' in html

    def test_htmx_gets_the_entries_partial(self, client, director, item):
        client.force_login(director)
        response = client.get(history_url("roadmap-item", item.pk), **HTMX)
        html = response.content.decode()
        assert html.lstrip().startswith('<section id="history-entries"')
        assert "HX-Request" in response["Vary"]

    def test_empty_state(self, client, director, item):
        LogEntry.objects.all().delete()
        client.force_login(director)
        html = client.get(history_url("roadmap-item", item.pk)).content.decode()
        assert "No changes recorded yet" in html

    @pytest.mark.parametrize("role", ["owning_pm", "other_pm", "contributor", "stakeholder"])
    def test_members_other_than_directors_are_refused(self, client, person, role, item):
        client.force_login(person(role))
        assert client.get(history_url("roadmap-item", item.pk)).status_code == 403

    def test_outsiders_get_404(self, client, outsider, item):
        client.force_login(outsider)
        assert client.get(history_url("roadmap-item", item.pk)).status_code == 404

    def test_another_portfolios_object_or_an_unknown_kind_is_404(
        self, client, director, outsider, item
    ):
        client.force_login(director)
        assert client.get(history_url("roadmap-item", item.pk, slug="globex")).status_code == 404
        assert client.get(history_url("widget", item.pk)).status_code == 404
        assert client.get(history_url("roadmap-item", 999999)).status_code == 404

    @pytest.mark.parametrize("kind", ["objective", "key-result", "share-link", "membership"])
    def test_every_kind_renders(self, client, director, portfolio, okrs, kind):
        link, _token = roadmap_services.share_link_create(
            portfolio=portfolio, product=None, label="Board", expires_at=None, created_by=director
        )
        subject = {
            "objective": okrs["objective"],
            "key-result": okrs["key_result"],
            "share-link": link,
            "membership": Membership.objects.get(user=director),
        }[kind]
        client.force_login(director)
        response = client.get(history_url(kind, subject.pk))
        assert response.status_code == 200
        assert "Created" in response.content.decode()

    def test_paginates_by_fifty(self, client, director, item):
        for number in range(55):
            roadmap_services.roadmap_item_update(item=item, actor=director, title=f"Title {number}")
        client.force_login(director)
        first = client.get(history_url("roadmap-item", item.pk)).content.decode()
        assert first.count('class="history-entry panel"') == 50
        assert "Page 1 of 2" in first
        second = client.get(history_url("roadmap-item", item.pk) + "?page=2").content.decode()
        assert second.count('class="history-entry panel"') == 6  # 5 edits + the creation

    def test_query_count_does_not_grow_with_entries(
        self, client, director, owning_pm, contributor, okrs, item
    ):
        key_result = okrs["key_result"]
        client.force_login(director)
        url = history_url("key-result", key_result.pk)

        def grow(times):
            for number in range(times):
                builders.check_in(key_result, director, str(number + 1))
                alignment = roadmap_services.alignment_create(
                    item=RoadmapItemFactory(product=item.product, owner=owning_pm),
                    key_result=key_result,
                    created_by=director,
                )
                roadmap_services.alignment_delete(alignment=alignment)

        def count():
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            return len(queries)

        grow(1)
        small = count()
        grow(8)
        assert count() == small
        assert small <= 15


class TestHistoryLinks:
    def test_directors_see_history_links_where_the_objects_are(
        self, client, director, portfolio, okrs, item
    ):
        link, _token = roadmap_services.share_link_create(
            portfolio=portfolio, product=None, label="Board", expires_at=None, created_by=director
        )
        membership = Membership.objects.get(user=director)
        key_result = okrs["key_result"]
        client.force_login(director)
        pages = {
            reverse("okr_tree", args=["acme"]): history_url("objective", okrs["objective"].pk),
            reverse("key_result_detail", args=["acme", key_result.pk]): history_url(
                "key-result", key_result.pk
            ),
            reverse("roadmap_board", args=["acme"]): history_url("roadmap-item", item.pk),
            reverse("share_links", args=["acme"]): history_url("share-link", link.pk),
            reverse("settings_people", args=["acme"]): history_url("membership", membership.pk),
        }
        for page, link_url in pages.items():
            assert f'href="{link_url}"' in client.get(page).content.decode(), page

    def test_product_managers_see_none(self, client, owning_pm, okrs, item):
        client.force_login(owning_pm)
        for page in [
            reverse("okr_tree", args=["acme"]),
            reverse("key_result_detail", args=["acme", okrs["key_result"].pk]),
            reverse("roadmap_board", args=["acme"]),
            reverse("share_links", args=["acme"]),
        ]:
            assert "/history/" not in client.get(page).content.decode(), page
