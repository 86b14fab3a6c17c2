"""Local development: `make run`. DEBUG defaults on; everything else as in base."""

import os

os.environ.setdefault("DEBUG", "true")

from .base import *  # noqa: F403
