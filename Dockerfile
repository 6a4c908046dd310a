# Strategy Record: the web service, run as a non-root user.
FROM python:3.11-slim-bookworm

# WeasyPrint (the printed record) needs Pango and HarfBuzz from the system.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      libharfbuzz-subset0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 10001 app
WORKDIR /srv/app
COPY pyproject.toml alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-cache-dir -e . && mkdir -p data && chown app:app data

USER app
ENV DATABASE_URL=sqlite:////srv/app/data/strategy.db
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["python", "-m", "app", "serve", "--host", "0.0.0.0", "--port", "8000"]
