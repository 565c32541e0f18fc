# mailflow service image. Build:  docker build -t mailflow .
# Run (config and data mounted; secrets as environment variables):
#   docker run -d --name mailflow \
#     -v /etc/mailflow:/app/config:ro -v mailflow-data:/app/var \
#     -e NORRMALM_IMAP_PASSWORD=... -e MAILFLOW_DATABASE_URL=postgresql+psycopg://... \
#     mailflow
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    MAILFLOW_CONFIG=/app/config/mailflow.toml

WORKDIR /app
RUN useradd --system --create-home --home-dir /home/mailflow --uid 10001 mailflow

COPY pyproject.toml README.md ./
COPY mailflow ./mailflow
RUN pip install .

COPY templates ./templates
COPY config ./config
RUN mkdir -p /app/var && chown mailflow:mailflow /app/var

USER mailflow
VOLUME ["/app/var"]

# apply migrations, then run the service (SIGTERM finishes the message in hand)
CMD ["sh", "-c", "mailflow db upgrade && exec mailflow run"]
