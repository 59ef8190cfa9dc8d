# Production image: gunicorn web, Celery worker and Celery beat all run from it.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    IML_ENV=production

WORKDIR /app
# Pango for WeasyPrint (PDF documents), a font with the French characters.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --uid 10001 iml
COPY requirements.txt .
RUN pip install --no-deps -r requirements.txt
COPY . .
# Static files are collected at build time and served by WhiteNoise; these values only let
# the settings load, nothing connects during the build.
RUN SECRET_KEY=build-only ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    python manage.py collectstatic --no-input \
    && rm -rf .var .venv
USER iml
EXPOSE 8000
# The access log format leaves out query strings (a search may be a person's name).
CMD ["gunicorn", "iml.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--access-logfile", "-", "--access-logformat", "%(h)s %(t)s \"%(m)s %(U)s\" %(s)s %(b)s %(L)s", \
     "--forwarded-allow-ips", "*"]
