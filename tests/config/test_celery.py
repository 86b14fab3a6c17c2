import pytest

from config.celery import app


def test_reliability_settings_of_the_roll_up_pipeline():
    conf = app.conf

    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.accept_content == ["json"]
    assert conf.task_serializer == "json"
    assert conf.worker_prefetch_multiplier == 1
    longest_wait = conf.task_time_limit
    assert conf.broker_transport_options["visibility_timeout"] > longest_wait


@pytest.mark.django_db  # Celery's Django fixup runs the model checks, which probe the database
def test_every_beat_job_names_a_registered_task():
    app.loader.import_default_modules()

    for name, entry in app.conf.beat_schedule.items():
        assert entry["task"] in app.tasks, f"beat job {name!r} names an unknown task"
