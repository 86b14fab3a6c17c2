"""`/healthz`: is the database reachable, and is the broker reachable (or not needed)?"""

import logging

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.db.utils import Error as DatabaseError
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def database_state() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: database unreachable")
        return "down"
    return "ok"


def broker_state() -> str:
    if not settings.REDIS_URL:
        return "eager"
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except redis.RedisError:
        logger.warning("Health check: broker unreachable at %s", settings.REDIS_URL)
        return "down"
    return "ok"


@login_not_required
@never_cache
@require_GET
def healthz(request):
    state = {"database": database_state(), "broker": broker_state()}
    state["status"] = "ok" if state["database"] == "ok" else "down"
    return JsonResponse(state, status=200 if state["database"] == "ok" else 503)
