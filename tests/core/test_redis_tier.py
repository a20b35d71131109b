"""Redis as the shared cache and the channel-layer doorbell between app processes."""

from __future__ import annotations

import asyncio
import uuid

from channels_redis.core import RedisChannelLayer
from django.core.cache.backends.redis import RedisCache
from django.test import override_settings


def test_two_processes_share_counters_through_the_redis_cache(redis_url):
    prefix = f"loom-test-{uuid.uuid4().hex}"
    first = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    second = RedisCache(redis_url, {"KEY_PREFIX": prefix})
    first.set("sign-in-attempts", 0, 60)
    for _ in range(3):
        first.incr("sign-in-attempts")
    second.incr("sign-in-attempts")
    assert first.get("sign-in-attempts") == 4
    second.delete("sign-in-attempts")
    assert first.get("sign-in-attempts") is None


def test_group_message_sent_by_one_layer_reaches_a_consumer_of_another(redis_url):
    group = f"user-{uuid.uuid4().hex}"

    async def exchange() -> dict:
        sender = RedisChannelLayer(hosts=[redis_url])
        receiver = RedisChannelLayer(hosts=[redis_url])
        channel = await receiver.new_channel()
        await receiver.group_add(group, channel)
        try:
            await sender.group_send(group, {"type": "event.ping", "seq": 7})
            return await asyncio.wait_for(receiver.receive(channel), timeout=5)
        finally:
            await receiver.group_discard(group, channel)
            await receiver.close_pools()
            await sender.close_pools()

    message = asyncio.run(exchange())
    assert message == {"type": "event.ping", "seq": 7}


def test_readiness_reports_redis(redis_url, client, db):
    with override_settings(REDIS_URL=redis_url):
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["redis"] == "ok"
