"""Log-in lockouts keyed on the real client, never on the proxy, and not usable to lock others out.

Requests carry REMOTE_ADDR and X-Forwarded-For as they arrive at gunicorn: from the TLS proxy
(a private address) with the client's address appended, or straight from a client.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from .factories import PASSWORD, UserFactory

PROXY = "10.0.0.2"
ATTACKER, OFFICER, OTHER = "203.0.113.7", "198.51.100.20", "192.0.2.44"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def eo(db):
    return UserFactory(username="eo")


@pytest.fixture
def behind_proxy(settings):
    settings.BTECQA_BEHIND_TLS_PROXY = True


def log_in(client, username, password="wrong password", *, remote, forwarded=None):
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return client.post(reverse("login"), {"username": username, "password": password}, **meta)


def fail(client, username, times, **where):
    """Wrong passwords: the form again each time, until the one that reaches the limit."""
    statuses = [log_in(client, username, **where).status_code for _ in range(times)]
    assert set(statuses) <= {200, 429}
    return statuses


@pytest.mark.usefixtures("behind_proxy")
def test_wrong_passwords_through_the_proxy_lock_that_client_not_the_user(client, eo):
    assert fail(client, "eo", 5, remote=PROXY, forwarded=ATTACKER) == [200, 200, 200, 200, 429]
    locked = log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=ATTACKER)
    assert locked.status_code == 429
    # The officer, at their own desk behind the same proxy, signs in as usual.
    response = log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=OFFICER)
    assert response.status_code == 302 and response.url == reverse("dashboard")


@pytest.mark.usefixtures("behind_proxy")
def test_the_address_is_the_one_the_proxy_appended_not_what_the_client_wrote(client, eo):
    for n in range(5):  # the client writes a new "address" in front each time
        log_in(client, "eo", remote=PROXY, forwarded=f"1.2.3.{n}, {ATTACKER}")
    assert (
        log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=f"9.9.9.9, {ATTACKER}").status_code
        == 429
    )


@pytest.mark.usefixtures("behind_proxy")
def test_two_proxies_in_front_count_two_entries_from_the_right(client, eo, settings):
    settings.BTECQA_TRUSTED_PROXY_COUNT = 2
    fail(client, "eo", 5, remote=PROXY, forwarded=f"{ATTACKER}, 10.0.0.9")
    assert (
        log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=f"{ATTACKER}, 10.0.0.8").status_code
        == 429
    )
    assert (
        log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=f"{OFFICER}, 10.0.0.9").status_code
        == 302
    )


def test_without_the_proxy_x_forwarded_for_is_never_believed(client, eo):
    for n in range(5):
        log_in(client, "eo", remote=ATTACKER, forwarded=f"{OFFICER.rsplit('.', 1)[0]}.{n}")
    assert log_in(client, "eo", PASSWORD, remote=ATTACKER, forwarded=OTHER).status_code == 429
    assert log_in(client, "eo", PASSWORD, remote=OFFICER).status_code == 302


@pytest.mark.usefixtures("behind_proxy")
def test_behind_the_proxy_a_client_connecting_directly_cannot_choose_its_address(client, eo):
    # A public address is not the proxy: what it puts in X-Forwarded-For is ignored.
    for n in range(5):
        log_in(client, "eo", remote=ATTACKER, forwarded=f"192.0.2.{n}")
    assert log_in(client, "eo", PASSWORD, remote=ATTACKER, forwarded=OFFICER).status_code == 429
    assert log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=OFFICER).status_code == 302


@pytest.mark.usefixtures("behind_proxy")
def test_one_password_tried_on_many_accounts_locks_the_address(client, eo):
    UserFactory(username="mallory")
    where = {"remote": PROXY, "forwarded": ATTACKER}
    for n in range(19):
        assert log_in(client, f"user{n}", "Summer2026!", **where).status_code == 200
    # The attacker signs in to their own account: that clears only mallory's own failures.
    assert log_in(client, "mallory", PASSWORD, **where).status_code == 302
    client.logout()
    assert log_in(client, "user19", "Summer2026!", **where).status_code == 429  # the 20th
    assert log_in(client, "someone-else", "Summer2026!", **where).status_code == 429
    assert log_in(client, "eo", PASSWORD, **where).status_code == 429
    assert log_in(client, "mallory", PASSWORD, **where).status_code == 429
    # Everyone else, elsewhere, is unaffected.
    assert log_in(client, "eo", PASSWORD, remote=PROXY, forwarded=OFFICER).status_code == 302


@pytest.mark.usefixtures("behind_proxy")
def test_the_limits_are_settings(client, eo, settings):
    settings.AXES_FAILURE_LIMIT = 2
    settings.BTECQA_LOGIN_FAILURES_PER_ADDRESS = 3
    where = {"remote": PROXY, "forwarded": ATTACKER}
    fail(client, "eo", 2, **where)
    assert log_in(client, "eo", PASSWORD, **where).status_code == 429
    where = {"remote": PROXY, "forwarded": OTHER}
    fail(client, "a", 1, **where)
    fail(client, "b", 1, **where)
    fail(client, "c", 1, **where)
    assert log_in(client, "eo", PASSWORD, **where).status_code == 429


@pytest.mark.parametrize(
    "utc, shown",
    [
        (dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC), "10:30 on Wednesday 1 July 2026"),  # BST
        (dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC), "09:30 on Tuesday 1 December 2026"),
    ],
)
@pytest.mark.usefixtures("behind_proxy")
def test_a_locked_out_person_is_told_when_to_try_again_in_london_time(client, eo, utc, shown):
    where = {"remote": PROXY, "forwarded": ATTACKER}
    with time_machine.travel(utc, tick=False):
        fail(client, "eo", 5, **where)
    with time_machine.travel(utc + dt.timedelta(minutes=10), tick=False):
        page = log_in(client, "eo", PASSWORD, **where)
        assert page.status_code == 429
        text = page.content.decode()
        assert "You can try again after <strong><time datetime=" in text
        assert shown in text and "(time in Europe/London)" in text
        assert "<strong>eo</strong>" in text
    # Trying while locked out does not move the time the page gave.
    with time_machine.travel(utc + dt.timedelta(minutes=29), tick=False):
        assert shown in log_in(client, "eo", PASSWORD, **where).content.decode()
    with time_machine.travel(utc + dt.timedelta(minutes=31), tick=False):
        assert log_in(client, "eo", PASSWORD, **where).status_code == 302


@pytest.mark.usefixtures("behind_proxy")
def test_the_spraying_lock_says_when_the_address_is_free_again(client, eo):
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    where = {"remote": PROXY, "forwarded": ATTACKER}
    for n in range(20):  # one a minute: the first expires first
        with time_machine.travel(start + dt.timedelta(minutes=n), tick=False):
            log_in(client, f"user{n}", **where)
    with time_machine.travel(start + dt.timedelta(minutes=20), tick=False):
        page = log_in(client, "eo", PASSWORD, **where)
    assert page.status_code == 429
    # Below the limit again when the first of the twenty failures (09:00) is 30 minutes old.
    assert "09:30 on Tuesday 1 December 2026" in page.content.decode()


@pytest.mark.parametrize(
    "entry, address",
    [
        ("203.0.113.7", "203.0.113.7"),
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:db8::7", "2001:db8::7"),
        ("not-an-address", PROXY),  # nothing usable: the connection's own address
    ],
)
def test_the_client_address_is_read_from_what_proxies_write(settings, rf, entry, address):
    from accounts.lockouts import client_address

    settings.BTECQA_BEHIND_TLS_PROXY = True
    request = rf.post("/accounts/login/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=entry)
    assert client_address(request) == address
