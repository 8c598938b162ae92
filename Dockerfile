# chainrule in one container: `docker build -t chainrule .` then `docker run -p 8000:8000 chainrule`.

# The dependency list alone (pyproject.toml's [project].dependencies): editing the rest of
# pyproject.toml, or any code, does not reinstall the dependencies.
FROM python:3.11-slim AS requirements
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# Graphviz's `dot` draws the graphs; Debian's package, without its recommended extras.
RUN apt-get update \
 && apt-get install -y --no-install-recommends graphviz \
 && rm -rf /var/lib/apt/lists/*

# A user of its own, numeric so that Kubernetes' runAsNonRoot can verify it.
RUN groupadd --gid 10001 chainrule \
 && useradd --uid 10001 --gid chainrule --no-create-home --shell /usr/sbin/nologin chainrule

WORKDIR /app

COPY --from=requirements /src/requirements.txt ./
RUN pip install -r requirements.txt

# The code runs from /app (app/settings.py finds templates/ and static/ next to app/).
COPY engine/ engine/
COPY app/ app/
COPY templates/ templates/
COPY static/ static/
USER 10001:10001

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]

# uvicorn reads WEB_CONCURRENCY (worker processes) and FORWARDED_ALLOW_IPS (proxies trusted for
# X-Forwarded-*) from the environment itself.
ENV WEB_CONCURRENCY=1
# idle keep-alive connections close after 5 s; past 1000 open connections or tasks new ones get 503
CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "8000", "--proxy-headers", "--timeout-keep-alive", "5", "--limit-concurrency", "1000"]
