# Legato's container image: the wheel (UI inside) installed in a virtual environment, run as a non-root user.
#
# Built by `make image`, whose build context (dist/image/) holds the wheel and a wheelhouse of its locked
# dependencies, so that the build itself needs no network. Every role runs from it:
#   docker run -e LEGATO_BASIC_AUTH=admin:change-me -p 8080:8080 legato               # server local (SQLite)
#   docker run -e LEGATO_DATABASE_URL=postgresql://... legato server worker           # one role on PostgreSQL
# Listening on anything but loopback requires authentication: without LEGATO_BASIC_AUTH the server refuses to start.
ARG BASE=python:3.11-slim
FROM ${BASE}

ARG UID=10001
RUN groupadd --system --gid ${UID} legato \
 && useradd --system --uid ${UID} --gid legato --home-dir /var/lib/legato --create-home --shell /usr/sbin/nologin legato

COPY wheels/ /tmp/wheels/
RUN python3 -m venv /opt/legato \
 && /opt/legato/bin/pip install --quiet --no-index --no-cache-dir --disable-pip-version-check \
        --find-links /tmp/wheels legato \
 && rm -rf /tmp/wheels

ENV PATH=/opt/legato/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    LEGATO_DATA_DIR=/var/lib/legato \
    LEGATO_HOST=0.0.0.0 \
    LEGATO_PORT=8080

USER legato
WORKDIR /var/lib/legato
VOLUME /var/lib/legato
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen(f\"http://127.0.0.1:{os.environ.get('LEGATO_PORT', '8080')}/health\", timeout=2)"]
ENTRYPOINT ["legato"]
CMD ["server", "local", "--data-dir", "/var/lib/legato", "--host", "0.0.0.0"]
