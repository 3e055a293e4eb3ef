# btecqa production image: one image for web (gunicorn), worker and beat (celery).
# Dependencies come from uv.lock only (`uv sync --locked --no-dev`); static files are
# collected at build time and served by WhiteNoise. See docker-compose.yml and .env.example.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1

# An unprivileged user to run the app; it owns only the folders it writes to.
RUN groupadd --system --gid 10001 btecqa \
    && useradd --system --uid 10001 --gid btecqa --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin btecqa

WORKDIR /app

# Dependencies first, from the lock file alone, so code changes reuse this layer.
RUN pip install uv==0.13.9
COPY pyproject.toml uv.lock ./
RUN uv sync --locked --no-dev --no-install-project --python /usr/local/bin/python

# The project itself (see .dockerignore: no .venv, .env, var/, .git).
COPY . .

ENV PATH="/app/.venv/bin:$PATH" \
    DJANGO_SETTINGS_MODULE=btecqa.settings \
    VAR_DIR=/app/var \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/app/media

# collectstatic needs settings to load, and settings refuse to load without a
# SECRET_KEY and an AUDIT_HMAC_KEY when DEBUG is off: throwaway keys for this step
# only (not kept in the image's environment). DEBUG=false gives the hashed,
# compressed manifest files.
RUN SECRET_KEY="collectstatic-build-step-only-not-a-real-secret-0123456789abcdef" \
       AUDIT_HMAC_KEY="collectstatic-build-step-only-not-a-real-audit-key-0123456789" \
       DEBUG=false python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/var \
    && chown -R btecqa:btecqa /app/media /app/var

USER btecqa

EXPOSE 8000

# No curl in slim: ask /healthz with the standard library. The Host header is the
# first ALLOWED_HOSTS entry, so Django does not answer 400 DisallowedHost; /healthz
# is exempt from the HTTPS redirect. A 503 (database or broker down) fails the check.
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD python -c "import os, urllib.request as u; h = (os.environ.get('ALLOWED_HOSTS') or 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; u.urlopen(u.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=8)"

# Worker count: gunicorn reads WEB_CONCURRENCY from the environment.
CMD ["gunicorn", "btecqa.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
