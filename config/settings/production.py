"""Production: DEBUG off, SECRET_KEY required, HTTPS everywhere.

`python manage.py check --deploy --settings=config.settings.production` passes with no warning.
"""

import os

# A production server sends real e-mail; a local MTA is the conventional default.
os.environ.setdefault("EMAIL_URL", "smtp://localhost:25")

from .base import *  # noqa: F403
from .base import env

SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
