import asyncio, json, time, uuid
import pytest
from tests.realtime.harness import hello, open_socket, cpu_seconds_of
pytestmark = [pytest.mark.postgres, pytest.mark.redis]

@pytest.mark.django_db(transaction=True)
def test_probe(app_servers, make_pair, cookie_for):
    coach, client, conv = make_pair()
    server = app_servers("p", LOOM_SOCKET_RATE_PER_SECOND="200", LOOM_SOCKET_RATE_BURST="400")
    cookie = cookie_for(coach)
    async def go():
        ws = await open_socket(server, cookie)
        await hello(ws, 0)
        lat = []
        cpu0 = cpu_seconds_of(server.pid)
        for i in range(60):
            t = time.monotonic()
            cid = str(uuid.uuid4())
            await ws.send(json.dumps({"type": "message.send", "ref": cid, "conversation": conv.pk, "client_id": cid, "body": f"m{i}"}))
            while True:
                f = json.loads(await ws.recv())
                if f["type"] == "reply":
                    assert f["ok"], f
                    break
            lat.append(time.monotonic() - t)
        cpu1 = cpu_seconds_of(server.pid)
        lat.sort()
        print("\nsend latency ms p50", round(lat[30]*1000), "p90", round(lat[54]*1000), "max", round(lat[-1]*1000), "server cpu ms/send", round((cpu1-cpu0)*1000/60))
        t = time.monotonic()
        for i in range(20):
            ws2 = await open_socket(server, cookie)
            await hello(ws2, 0)
            await ws2.close()
        print("connect+hello ms", round((time.monotonic()-t)*1000/20))
    asyncio.run(go())
