"""The cache that a Redis channel empties, on a real Redis: copies are kept while subscribed, dropped
at once on a change notice, and never trusted while the channel is out of reach."""

import time
import uuid

from redis import Redis

from devstack.engines import free_port
from permitto_common.cache import ChannelCache, publish_change


def counting_loader():
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    return load, calls


def wait_subscribed(cache, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not cache._subscribed.is_set():
        assert time.monotonic() < deadline, "never subscribed"
        time.sleep(0.02)


def test_copies_are_kept_until_a_change_notice_drops_them(test_engines):
    channel = f"test:cache:{uuid.uuid4().hex}"
    cache = ChannelCache(test_engines.redis_url(), channel, ttl=60)
    load, calls = counting_loader()
    cache.get("k", load)  # starts the listener; not subscribed yet, so read through
    wait_subscribed(cache)
    assert cache.get("k", load) == cache.get("k", load)
    kept = len(calls)
    with Redis.from_url(test_engines.redis_url()) as redis:
        publish_change(redis, channel)
    deadline = time.monotonic() + 5
    while cache.get("k", load) == kept and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(calls) == kept + 1  # read again once, then kept again
    assert cache.get("k", load) == kept + 1


def test_without_its_channel_every_read_goes_to_the_source():
    cache = ChannelCache(f"redis://127.0.0.1:{free_port()}/0", "test:cache:nobody", ttl=60)  # nothing listens there
    load, calls = counting_loader()
    for _ in range(3):
        cache.get("k", load)
    assert len(calls) == 3
