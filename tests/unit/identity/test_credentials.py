"""Passwords (argon2id), API tokens (stored as SHA-256), and the sign-in lockout policy."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from legato.identity import lockout, passwords, tokens

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_passwords_are_argon2id_and_verify() -> None:
    hashed = passwords.hash_password("correct horse")
    assert hashed.startswith("$argon2id$") and "correct horse" not in hashed
    assert passwords.verify(hashed, "correct horse")
    assert not passwords.verify(hashed, "wrong horse")
    assert not passwords.verify("not-a-hash", "correct horse")
    with pytest.raises(passwords.WeakPasswordError, match="at least 8"):
        passwords.check_strength("short")


def test_tokens_keep_only_a_hash_and_split_back() -> None:
    new = tokens.new_token()
    assert new.text.startswith("lgt_") and new.secret_hash not in new.text
    parts = tokens.split(new.text)
    assert parts is not None and parts[0] == new.id and tokens.matches(new.secret_hash, parts[1])
    assert not tokens.matches(new.secret_hash, parts[1] + "x")
    assert tokens.split("lgt_short_x") is None and tokens.split("Bearer x") is None
    assert new.prefix == f"lgt_{new.id}"


def test_ten_failures_in_five_minutes_lock_for_thirty() -> None:
    policy = lockout.Policy()
    counter = lockout.CLEAR
    for i in range(9):
        counter = lockout.after_failure(counter, NOW + timedelta(seconds=20 * i), policy)
        assert not counter.locked(NOW + timedelta(seconds=20 * i))
    counter = lockout.after_failure(counter, NOW + timedelta(minutes=4), policy)
    assert counter.locked(NOW + timedelta(minutes=4)) and counter.locked(NOW + timedelta(minutes=33))
    assert not counter.locked(NOW + timedelta(minutes=34))


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    policy = lockout.Policy(max_failures=3, window=timedelta(minutes=5), duration=timedelta(minutes=30))
    counter = lockout.CLEAR
    for minutes in (0, 4, 6, 10):  # the window restarts at 6
        counter = lockout.after_failure(counter, NOW + timedelta(minutes=minutes), policy)
    assert not counter.locked(NOW + timedelta(minutes=10)) and counter.failures == 2


def test_the_lockout_and_sessions_are_configurable() -> None:
    from legato.config import Settings
    from legato.server.compose import auth_config

    settings = Settings(auth={"lockout_failures": 3, "lockout_window": "PT1M", "lockout_duration": "PT2H",
                              "session_ttl": "PT1H", "secure_cookies": True})
    config = auth_config(settings)
    assert config.policy == lockout.Policy(3, timedelta(minutes=1), timedelta(hours=2))
    assert config.session_ttl == timedelta(hours=1) and config.secure_cookies
    assert auth_config(Settings()).policy == lockout.Policy()
