# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.13-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

WORKDIR /app
RUN useradd --create-home --uid 1000 lodestar
COPY requirements.lock ./
RUN pip install --requirement requirements.lock
COPY . .
RUN SECRET_KEY=build-only-collectstatic python manage.py collectstatic --no-input \
    && chown -R lodestar:lodestar /app
USER lodestar

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
