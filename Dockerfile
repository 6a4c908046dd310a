# Strategy Record: the web service and the outbox worker, run as a non-root user.
#
# Build:  docker build -t strategy-record .
# The package is installed from a wheel (not editable: the image holds no source tree).
# Migrations are a separate one-shot command run once per deployment, never by each replica:
#   docker run --rm -v strategy-data:/srv/app/data strategy-record python -m app migrate
#   docker run --rm -v strategy-data:/srv/app/data -e FIRST_ADMIN_USERNAME=admin \
#     -e FIRST_ADMIN_PASSWORD=... strategy-record python -m app first-admin
#   docker run -p 8000:8000 -v strategy-data:/srv/app/data strategy-record
# compose.yaml runs the web service, the worker and PostgreSQL together.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml ./
COPY app ./app
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim-bookworm
# WeasyPrint (the printed record) needs Pango and HarfBuzz; pg_dump and pg_restore (the
# backup command on PostgreSQL) come with postgresql-client. Debian's stable archive pins
# their versions to the release's security updates.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      libharfbuzz-subset0 fonts-dejavu-core postgresql-client \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 app
WORKDIR /srv/app
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# Migrations are not part of the package: Alembic finds them through ALEMBIC_CONFIG.
COPY alembic.ini ./
COPY migrations ./migrations
RUN mkdir -p data && chown app:app data

USER 10001
ENV DATABASE_URL=sqlite:////srv/app/data/strategy.db \
    PDF_SLOT_DIR=/srv/app/data/pdf-slots \
    ALEMBIC_CONFIG=/srv/app/alembic.ini \
    PYTHONUNBUFFERED=1
# The SQLite database (records, and the PDFs stored in it) and the render slots' lock files.
VOLUME ["/srv/app/data"]
EXPOSE 8000
HEALTHCHECK CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"]
CMD ["python", "-m", "app", "serve", "--no-migrate", "--host", "0.0.0.0", "--port", "8000"]
