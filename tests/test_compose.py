"""The production stack files: docker-compose.yml, Dockerfile, .env.example, .dockerignore.

No Docker engine is needed: the files are read as text and YAML, and the example
environment is checked against the real settings in a subprocess. No database.
"""

import os
import re
import secrets
import shlex
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
ENV_EXAMPLE = ROOT / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"

SERVICES = {"db", "redis", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")
SECRET_NAME = re.compile(r"SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE|HMAC", re.IGNORECASE)
# ${NAME}, ${NAME:?message}, ${NAME?message}, ${NAME:-default}, ${NAME-default}
INTERPOLATION = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[?-])([^}]*))?\}")


# --- helpers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE_FILE.read_text())


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def env_example_values():
    """The active KEY=value lines of .env.example (commented-out ones excluded)."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f".env.example line is not KEY=value: {line!r}"
        values[key.strip()] = value.strip()
    return values


def env_example_mentions():
    """Every variable .env.example names, set or commented out."""
    return set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.MULTILINE))


def interpolate(value, variables):
    """Fill ${...} the way Compose does, from the given variables."""

    def fill(match):
        name, op, arg = match.groups()
        if name in variables and (variables[name] or not (op or "").startswith(":")):
            return variables[name]
        if op and op.endswith("-"):
            return arg
        raise AssertionError(f"${{{name}}} is not set and has no default")

    return INTERPOLATION.sub(fill, str(value).replace("$$", "\0")).replace("\0", "$")


def command_text(service):
    command = service.get("command")
    if isinstance(command, list):
        return " ".join(str(part) for part in command)
    return str(command or "")


def environment(service):
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return env


def env_files(service):
    files = service.get("env_file") or []
    if isinstance(files, (str, dict)):
        files = [files]
    return [f["path"] if isinstance(f, dict) else f for f in files]


def healthcheck_text(service):
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else str(test)


def dockerfile_instructions():
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text().splitlines():
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        logical.append(current + stripped)
        current = ""
    assert not current, "Dockerfile ends inside a continued line"
    pairs = []
    for line in logical:
        instruction, _, rest = line.partition(" ")
        pairs.append((instruction.upper(), rest.strip()))
    return pairs


def instructions(name):
    return [rest for instruction, rest in dockerfile_instructions() if instruction == name]


# --- docker-compose.yml ---------------------------------------------------------


def test_compose_has_the_five_services(services):
    assert set(services) == SERVICES


def test_db_is_postgres_15_and_redis_is_redis_7(services):
    assert services["db"]["image"] == "postgres:15"
    assert services["redis"]["image"] == "redis:7"


def test_app_services_share_one_image_built_from_this_folder(services):
    images = {services[name].get("image") for name in APP_SERVICES}
    assert len(images) == 1 and None not in images
    for name in APP_SERVICES:
        build = services[name].get("build")
        context = build.get("context") if isinstance(build, dict) else build
        assert context == ".", f"{name} is not built from the project's Dockerfile"


def test_web_migrates_then_runs_gunicorn_on_port_8000(services):
    command = command_text(services["web"])
    assert "manage.py migrate --noinput" in command
    assert re.search(r"\bgunicorn\b.*\bbtecqa\.wsgi(:application)?\b", command)
    assert "0.0.0.0:8000" in command
    # migrate must succeed before gunicorn starts
    assert command.index("migrate") < command.index("gunicorn")
    assert "&&" in command[command.index("migrate") : command.index("gunicorn")]
    assert "runserver" not in command


def test_worker_runs_a_celery_worker_for_btecqa(services):
    argv = shlex.split(command_text(services["worker"]))
    assert argv[0] == "celery"
    assert argv[argv.index("-A") + 1] == "btecqa"
    assert "worker" in argv and "beat" not in argv


def test_beat_runs_celery_beat_for_btecqa(services):
    argv = shlex.split(command_text(services["beat"]))
    assert argv[0] == "celery"
    assert argv[argv.index("-A") + 1] == "btecqa"
    assert "beat" in argv and "worker" not in argv
    # the non-root user cannot write the working directory; the schedule goes to /tmp
    assert argv[argv.index("--schedule") + 1].startswith("/tmp/")


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_healthcheck_with_a_test_command(services, name):
    healthcheck = services[name].get("healthcheck")
    assert healthcheck, f"{name} has no healthcheck"
    assert not healthcheck.get("disable")
    test = healthcheck.get("test")
    assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL"), test
    assert len(test) > 1 and all(str(part).strip() for part in test[1:])


def test_db_and_redis_healthchecks_use_their_own_tools(services):
    assert "pg_isready" in healthcheck_text(services["db"])
    assert re.search(r"redis-cli\b.*\bping\b", healthcheck_text(services["redis"]))


def test_web_healthcheck_asks_healthz_with_python_urllib(services):
    test = services["web"]["healthcheck"]["test"]
    text = healthcheck_text(services["web"])
    assert test[0] == "CMD" and test[1] == "python"
    assert "urllib" in text
    assert "/healthz" in text
    assert ":8000/healthz" in text
    assert "curl" not in text and "wget" not in text


def test_web_healthcheck_code_compiles(services):
    test = services["web"]["healthcheck"]["test"]
    compile(test[test.index("-c") + 1], "web-healthcheck", "exec")


def test_beat_healthcheck_code_compiles_and_does_not_match_itself(services):
    test = services["beat"]["healthcheck"]["test"]
    code = test[test.index("-c") + 1]
    compile(code, "beat-healthcheck", "exec")
    # it looks for a process with "beat" as an argument: its own argv must not be one
    assert "beat" not in test


def test_worker_healthcheck_pings_its_own_node(services):
    text = healthcheck_text(services["worker"])
    assert re.search(r"celery -A btecqa inspect ping\b", text)
    assert re.search(r"(-d|--destination)[ =]celery@\$\$HOSTNAME\b", text)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_read_the_env_file(services, name):
    assert ".env" in env_files(services[name])


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_point_at_the_db_and_redis_services(services, name):
    env = environment(services[name])
    variables = env_example_values()
    database = urlparse(interpolate(env["DATABASE_URL"], variables))
    assert database.scheme in ("postgres", "postgresql", "pgsql")
    assert (database.hostname, database.port) == ("db", 5432)
    assert database.username == variables["POSTGRES_USER"]
    assert database.password == variables["POSTGRES_PASSWORD"]
    assert database.path == "/" + variables["POSTGRES_DB"]
    broker = urlparse(interpolate(env["REDIS_URL"], variables))
    assert broker.scheme == "redis"
    assert (broker.hostname, broker.port) == ("redis", 6379)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_db_and_redis(services, name):
    depends_on = services[name].get("depends_on")
    assert isinstance(depends_on, dict), f"{name} must use the long depends_on form"
    for dependency in ("db", "redis"):
        assert depends_on[dependency]["condition"] == "service_healthy"


def test_postgres_data_and_media_are_named_volumes(compose, services):
    named = set(compose.get("volumes") or {})

    def mounts(service):
        return {
            str(v).split(":")[0]: str(v).split(":")[1]
            for v in service.get("volumes", [])
            if ":" in str(v)
        }

    db_mounts = mounts(services["db"])
    assert any(
        target == "/var/lib/postgresql/data" and source in named
        for source, target in db_mounts.items()
    )
    web_mounts = mounts(services["web"])
    assert any(target == "/app/media" and source in named for source, target in web_mounts.items())


def test_postgres_credentials_come_from_the_env_file(services):
    env = environment(services["db"])
    for key in ("POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"):
        assert INTERPOLATION.fullmatch(str(env[key])), f"db {key} is not taken from .env"


def test_no_secret_values_in_the_compose_file(services):
    text = COMPOSE_FILE.read_text()
    assert not re.search(r"SECRET_KEY\s*[:=]", text), "SECRET_KEY belongs in .env only"
    for name, service in services.items():
        for key, value in environment(service).items():
            if SECRET_NAME.search(key):
                match = INTERPOLATION.fullmatch(str(value or ""))
                assert match, f"{name}: {key} has a literal value"
                assert not (match.group(2) or "").endswith("-"), (
                    f"{name}: {key} has a default value"
                )
        # passwords inside URLs must be interpolated too
        for key, value in environment(service).items():
            parsed = urlparse(str(value or ""))
            if parsed.scheme and parsed.netloc and "@" in parsed.netloc:
                userinfo = parsed.netloc.rsplit("@", 1)[0]
                password = userinfo.partition(":")[2]
                assert INTERPOLATION.fullmatch(password), f"{name}: {key} has a literal password"


def test_every_required_compose_variable_is_set_in_env_example():
    text = COMPOSE_FILE.read_text().replace("$$", "")
    required = {name for name, op, _ in INTERPOLATION.findall(text) if not (op or "").endswith("-")}
    optional = {name for name, op, _ in INTERPOLATION.findall(text) if (op or "").endswith("-")}
    assert required, "expected the compose file to take POSTGRES_* from .env"
    assert required <= set(env_example_values()), required - set(env_example_values())
    assert optional <= env_example_mentions(), optional - env_example_mentions()


# --- Dockerfile -------------------------------------------------------------------


def test_dockerfile_is_python_311_slim():
    froms = instructions("FROM")
    assert froms and froms[0].split()[0] == "python:3.11-slim"


def test_dockerfile_installs_from_the_lock_without_dev_dependencies():
    runs = " ; ".join(instructions("RUN"))
    assert "pip install uv==0.13.9" in runs
    assert re.search(r"\buv sync\b[^;&]*--locked", runs) or re.search(
        r"\buv export\b[^;&]*--locked", runs
    )
    assert "--no-dev" in runs
    copied = " ".join(instructions("COPY"))
    assert "uv.lock" in copied and "pyproject.toml" in copied
    env_and_args = " ".join(instructions("ENV") + instructions("ARG"))
    assert "UV_PYTHON_DOWNLOADS=never" in env_and_args
    assert "/app/.venv" in env_and_args


def test_dockerfile_runs_as_a_non_root_user():
    users = instructions("USER")
    assert users, "no USER instruction"
    final_user = users[-1].split(":")[0]
    assert final_user not in ("root", "0")
    names = [instruction for instruction, _ in dockerfile_instructions()]
    last_user = len(names) - 1 - names[::-1].index("USER")
    assert last_user < names.index("CMD"), "USER must come before CMD"
    assert re.search(rf"useradd\b.*\b{re.escape(final_user)}\b", " ".join(instructions("RUN")))


def test_dockerfile_collects_static_with_a_throwaway_secret_only_in_that_step():
    collect = [run for run in instructions("RUN") if "collectstatic" in run]
    assert len(collect) == 1
    assert "--noinput" in collect[0]
    persisted = " ".join(instructions("ENV") + instructions("ARG"))
    for key in ("SECRET_KEY", "AUDIT_HMAC_KEY"):  # settings refuse DEBUG off without either
        assert f"{key}=" in collect[0]
        assert key not in persisted, f"the build-time {key} must not stay in the image"


def test_the_audit_key_is_required_from_the_env_file(services):
    for name in APP_SERVICES:
        value = str(environment(services[name]).get("AUDIT_HMAC_KEY", ""))
        match = INTERPOLATION.fullmatch(value)
        assert match and match.group(2) == ":?", f"{name}: AUDIT_HMAC_KEY must be required"


def test_dockerfile_has_a_healthz_healthcheck_with_urllib():
    healthchecks = instructions("HEALTHCHECK")
    assert len(healthchecks) == 1
    assert "/healthz" in healthchecks[0]
    assert "urllib" in healthchecks[0]
    assert "curl" not in healthchecks[0]


def test_dockerfile_cmd_runs_gunicorn_on_port_8000():
    cmds = instructions("CMD")
    assert cmds, "no CMD"
    cmd = cmds[-1]
    assert "gunicorn" in cmd
    assert "btecqa.wsgi:application" in cmd
    assert "0.0.0.0:8000" in cmd


def test_dockerignore_keeps_local_state_and_secrets_out_of_the_image():
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for pattern in (".venv", "var", ".git", ".env", "node_modules", "test-results"):
        assert pattern in patterns, pattern
    # the stylesheets and scripts collectstatic needs must stay in the context
    assert not {"static", "templates", "uv.lock", "pyproject.toml"} & patterns


# --- .env.example -----------------------------------------------------------------


def test_env_example_names_the_core_variables():
    values = env_example_values()
    for key in (
        "SECRET_KEY",
        "AUDIT_HMAC_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "ALLOWED_HOSTS",
        "CSRF_TRUSTED_ORIGINS",
    ):
        assert values.get(key), f"{key} missing from .env.example"
    assert values["DEBUG"].lower() == "false"
    assert values["HTTPS"].lower() == "true"
    assert values["BEHIND_TLS_PROXY"].lower() == "true"
    for key in (
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_DB",
        "EMAIL_URL",
        "SITE_URL",
        "DEFAULT_FROM_EMAIL",
    ):
        assert key in values, key


def test_env_example_documents_every_setting_read_from_the_environment():
    read = set(
        re.findall(
            r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', (ROOT / "btecqa" / "settings.py").read_text()
        )
    )
    assert {"SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read
    missing = read - env_example_mentions()
    assert not missing, (
        f"settings read these but .env.example does not mention them: {sorted(missing)}"
    )


def test_env_example_comments_every_variable():
    lines = ENV_EXAMPLE.read_text().splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z][A-Z0-9_]*=", line):
            block = []
            for previous in reversed(lines[:index]):
                if not previous.strip():
                    break
                block.append(previous)
            assert any(
                p.startswith("#") and not re.match(r"^#\s*[A-Z][A-Z0-9_]*=", p) for p in block
            ), f"no comment above {line.split('=')[0]}"


def test_env_example_secret_is_a_placeholder():
    assert "change-me" in env_example_values()["SECRET_KEY"].lower()
    assert "change-me" in env_example_values()["AUDIT_HMAC_KEY"].lower()
    assert env_example_values()["AUDIT_HMAC_KEY"] != env_example_values()["SECRET_KEY"]


def test_env_example_passes_the_deploy_check():
    """Settings load from the example values and `check --deploy` finds nothing to warn about."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PYTEST_"))
    }
    for key in env_example_mentions():
        env.pop(key, None)
    env.update(env_example_values())
    env["SECRET_KEY"] = secrets.token_urlsafe(50)  # the placeholders are not real keys
    env["AUDIT_HMAC_KEY"] = secrets.token_urlsafe(48)
    env["DJANGO_SETTINGS_MODULE"] = "btecqa.settings"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
