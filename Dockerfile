# mailflow service image. Build:  docker build -t mailflow .
# Run (config and data mounted; secrets as environment variables), or use compose.yaml:
#   docker run -d --name mailflow \
#     -v /etc/mailflow:/app/config:ro -v mailflow-data:/app/var \
#     -e NORRMALM_IMAP_PASSWORD=... -e MAILFLOW_DATABASE_URL=postgresql+psycopg://... \
#     mailflow

# -- build: the virtual environment, from wheels (psycopg[binary], cryptography: no compiler needed) --
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/mailflow
COPY pyproject.toml README.md ./
COPY mailflow ./mailflow
RUN /opt/mailflow/bin/pip install --only-binary=:all: . \
    && find /opt/mailflow -name __pycache__ -prune -exec rm -rf {} +

# -- runtime: the same slim Python, the environment copied in, no build tools, not root --------------
FROM python:3.11-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/mailflow/bin:$PATH \
    MAILFLOW_CONFIG=/app/config/mailflow.toml \
    MAILFLOW_METRICS_BIND=0.0.0.0:9108 \
    TMPDIR=/app/var/tmp
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mailflow
WORKDIR /app
COPY --from=build /opt/mailflow /opt/mailflow
COPY templates ./templates
COPY config ./config
RUN mkdir -p /app/var/tmp && chown -R mailflow:mailflow /app/var
USER mailflow
VOLUME ["/app/var"]
EXPOSE 9108
# /healthz: every mailbox reachable, the SMTP server usable, the outbox not stuck (see README, Operations)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:9108/healthz', timeout=4).status == 200 else 1)"]
STOPSIGNAL SIGTERM
# apply migrations, then run the service (SIGTERM finishes the message in hand)
CMD ["sh", "-c", "mailflow db upgrade && exec mailflow run"]
