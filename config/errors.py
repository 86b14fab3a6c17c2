"""Error pages. A database that is down answers a friendly 503, not a bare 500."""

import logging
import sys

from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

logger = logging.getLogger(__name__)


def server_error(request):
    """handler500: called while the exception is being handled, so it can tell a
    database outage (503, retry soon) from a bug (500)."""
    error = sys.exc_info()[1]
    if isinstance(error, DatabaseError):
        logger.error("Answering 503: the database is unavailable (%s)", error)
        page = loader.get_template("503.html").render()
        response = HttpResponse(page, status=503)
        response["Retry-After"] = "30"
        return response
    return HttpResponseServerError(loader.get_template("500.html").render())
