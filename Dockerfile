# harness-logs: a small image with no build tools, running as a non-root user.
#   make image REGISTRY=registry.example.com   # = docker build -t registry.example.com/harness-logs:<version> .
#   docker run --env-file .env -p 3000:3000 -v harness-logs-data:/data registry.example.com/harness-logs:<version>

FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md ./
COPY bot ./bot
# The emulators ship beside the bot: `harness-logs-bot sandbox` runs against them.
COPY emulators ./emulators
RUN pip install --no-cache-dir --no-deps .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 bot \
    && mkdir -p /data \
    && chown bot:bot /data
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    BOT_STORE_URL=sqlite:////data/bot.db \
    XDG_CACHE_HOME=/data/cache \
    PORT=3000
USER bot
WORKDIR /data
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('HEALTH_PORT', os.environ.get('PORT', '3000')), timeout=4)"]
ENTRYPOINT ["harness-logs-bot"]
