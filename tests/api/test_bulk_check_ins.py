"""POST /api/v1/check-ins/bulk/: all or none, per-entry errors, one roll-up per key result."""

from decimal import Decimal
from unittest import mock

import pytest

from okrs import tasks
from okrs.models import CheckIn, KeyResult
from tests.okrs import builders

BULK = "/api/v1/check-ins/bulk/"


@pytest.fixture
def second_key_result(world, contributor):
    return builders.key_result(world.objective, "Repeat purchases", owner=contributor)


def test_stores_every_entry_and_rolls_up_once_per_key_result(
    world, second_key_result, contributor, api, django_capture_on_commit_callbacks
):
    entries = [
        {"key_result": world.key_result.pk, "value": "30", "confidence": 6},
        {"key_result": world.key_result.pk, "value": "45", "note": "after the release"},
        {"key_result": second_key_result.pk, "value": 80},
    ]
    with (
        mock.patch.object(
            tasks.rollup_from_key_result, "delay", wraps=tasks.rollup_from_key_result.delay
        ) as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = api(contributor).post(BULK, entries, format="json")

    assert response.status_code == 201, response.content
    assert response.json()["created"] == 3
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(
        [world.key_result.pk, second_key_result.pk]
    )
    key_result = KeyResult.objects.get(pk=world.key_result.pk)
    assert key_result.current_value == Decimal(45)
    assert key_result.progress == pytest.approx(0.45)
    assert KeyResult.objects.get(pk=second_key_result.pk).progress == pytest.approx(0.8)


def test_one_bad_entry_saves_nothing_and_names_every_bad_entry(world, director, api):
    before = CheckIn.objects.count()
    entries = [
        {"key_result": world.key_result.pk, "value": "30"},
        {"key_result": world.key_result.pk, "value": "NaN"},
        {"key_result": world.key_result.pk, "value": "31", "confidence": 11},
        {"key_result": world.key_result.pk, "value": "32"},
    ]

    response = api(director).post(BULK, entries, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["items"] == {
        "1": {"value": ["A valid number is required."]},
        "2": {"confidence": ["Ensure this value is less than or equal to 10."]},
    }
    assert CheckIn.objects.count() == before


def test_service_errors_roll_back_the_whole_batch(world, director, api):
    before = CheckIn.objects.count()
    entries = [
        {"key_result": world.key_result.pk, "value": "30"},
        {"key_result": world.key_result.pk, "value": "31", "checked_in_at": "2001-01-01T00:00Z"},
    ]

    response = api(director).post(BULK, entries, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["items"]) == ["1"]
    assert "checked_in_at" in response.json()["error"]["items"]["1"]
    assert CheckIn.objects.count() == before


def test_a_key_result_the_caller_may_not_check_in_refuses_the_batch(
    world, other_pm, api, second_key_result
):
    own = builders.key_result(world.objective, "Mine", owner=other_pm)
    entries = [
        {"key_result": own.pk, "value": "5"},
        {"key_result": world.key_result.pk, "value": "6"},
    ]

    response = api(other_pm).post(BULK, entries, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert response.json()["error"]["items"] == {
        "1": {"key_result": ["You may not check in this key result."]}
    }
    assert not CheckIn.objects.filter(key_result=own).exists()


def test_another_portfolios_key_result_is_unknown(world, director, api):
    response = api(director).post(
        BULK, [{"key_result": world.foreign_key_result.pk, "value": "1"}], format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["items"] == {
        "0": {"key_result": ["There is no key result with this id."]}
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"key_result": 1, "value": 1}, "Send a JSON array of check-ins."),
        ([], "The list is empty."),
    ],
)
def test_the_body_must_be_a_non_empty_list(world, director, api, body, message):
    response = api(director).post(BULK, body, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {"non_field_errors": [message]}


def test_at_most_500_entries(world, director, api):
    entries = [{"key_result": world.key_result.pk, "value": "1"}] * 501

    response = api(director).post(BULK, entries, format="json")

    assert response.status_code == 400
    assert "at most 500" in response.json()["error"]["message"]


def test_500_entries_fit_in_one_request(world, director, api):
    entries = [{"key_result": world.key_result.pk, "value": str(i % 100)} for i in range(500)]

    response = api(director).post(BULK, entries, format="json")

    assert response.status_code == 201
    assert CheckIn.objects.filter(key_result=world.key_result).count() == 501
