"""A ring number is proven by a test call's code: at most CODE_CALLS_PER_DAY calls and
WRONG_CODES_PER_DAY wrong codes in 24 hours, so a code cannot be guessed by asking for new
ones, and Fairlead cannot be used to ring someone's phone over and over."""

from datetime import timedelta

import pytest

from calls import policy, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def pro(contractor, clock):
    services.change_call_settings(contractor, enabled=True, ring_number="(512) 555-0147")
    return contractor


def test_test_calls_are_capped_per_day(pro, clock):
    for _ in range(policy.CODE_CALLS_PER_DAY):
        services.send_code(pro)
        clock.shift(timedelta(minutes=2))
    with pytest.raises(services.CodeRefused, match="test calls in the last 24 hours"):
        services.send_code(pro)
    clock.shift(timedelta(days=1))
    services.send_code(pro)


def test_wrong_codes_count_across_new_codes(pro, clock):
    wrong = 0
    while wrong < policy.WRONG_CODES_PER_DAY:
        code = services.send_code(pro)
        clock.shift(timedelta(minutes=2))
        for _ in range(min(policy.CODE_TRIES, policy.WRONG_CODES_PER_DAY - wrong)):
            guess = f"{(int(code) + 1) % 10_000:04d}"
            with pytest.raises(services.CodeRefused, match="not the code"):
                services.confirm_code(pro, guess)
            wrong += 1
    # Even the right code of a fresh call is refused until the day is over.
    pro.call_settings.refresh_from_db()
    pro.call_settings.calls_today = 0
    pro.call_settings.save()
    code = services.send_code(pro)
    with pytest.raises(services.CodeRefused, match="Too many wrong codes in the last 24 hours"):
        services.confirm_code(pro, code)
    clock.shift(timedelta(days=1))
    code = services.send_code(pro)
    assert services.confirm_code(pro, code).verified
