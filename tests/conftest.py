"""The fixed cast: one person per role at an own centre; a partner and an unrelated centre."""

import pytest

from accounts.roles import Role
from btecqa.celery import app as celery_app

from .factories import PASSWORD, CentreFactory, RoleAssignmentFactory, UserFactory


@pytest.fixture(autouse=True)
def _eager_celery(request):
    """Tasks run in-process unless a test sends them through a real worker."""
    if request.node.get_closest_marker("worker"):
        yield
        return
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _media_apart(settings, tmp_path_factory):
    """Uploads and audit checkpoints go to a folder of the test's own, never var/media."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness belongs in production, not in 500 tests."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _second_factor_on_force_login(monkeypatch):
    """force_login() stands for a finished sign-in: for an account with an authenticator app
    (a Standards Verifier's) that includes the second factor, as the verify page would.
    Tests of the sign-in itself go through the log-in and verify pages."""
    from django.test.client import ClientMixin

    from .factories import mark_second_factor

    original = ClientMixin.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        mark_second_factor(self, user)

    monkeypatch.setattr(ClientMixin, "force_login", force_login)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def own_centre(db):
    return CentreFactory(number="40001", name="Own Test Academy")


@pytest.fixture
def partner_centre(db):
    return CentreFactory(number="40002", name="Partner Test School")


@pytest.fixture
def other_centre(db):
    return CentreFactory(number="40003", name="Unrelated Test College")


@pytest.fixture
def make_user(db):
    def make(username, *roles, centre):
        user = UserFactory(username=username)
        for role in roles:
            RoleAssignmentFactory(user=user, centre=centre, role=role)
        return user

    return make


@pytest.fixture
def cast(own_centre, make_user):
    """One person per role at the own centre."""
    return {role: make_user(f"{role.value}_own", role, centre=own_centre) for role in Role}


@pytest.fixture
def exams_officer(cast):
    return cast[Role.EXAMS_OFFICER]


@pytest.fixture
def governor(cast):
    return cast[Role.GOVERNOR]


def _declare_test_actions():
    """Codes the audit tests record, declared as an app declares its own (audit/actions.py)."""
    from audit.actions import register_action

    for name in (
        "a",
        "b",
        "c",
        "d",
        "x",
        "y",
        "import_row",
        "before_rotation",
        "after_rotation",
        "new_key",
        "old_key",
    ):
        register_action(f"tests.event.{name}", f"Test event {name}", "{actor}: test " + name)


_declare_test_actions()
