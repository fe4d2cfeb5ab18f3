"""Both ends of a WebSocket through Keyward's gateway, with the `websockets` package from PyPI.

    websocket_peer.py server
        An upstream on 127.0.0.1: prints its port, then echoes every message; the message
        "headers" is answered with the handshake's request headers as JSON (names lower-cased,
        values listed), so the test sees exactly what the gateway forwarded.

    websocket_peer.py client URL TOKEN [hold SECONDS]
        Connects with `Authorization: Bearer TOKEN`, sends "hello" and "headers", and prints one
        JSON line: {"echo": ..., "headers": {...}}. With `hold`, it then keeps the connection open
        and prints {"closed_after": seconds} once the other side closes it, or {"open": true}
        after SECONDS. A refused handshake prints {"refused": STATUS, "body": ...}.
"""

import asyncio
import json
import logging
import sys
import time

from websockets.asyncio.client import connect
from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed, InvalidStatus


async def run_server():
    # Handshakes the gateway turned into plain requests, and tunnels it closed, are expected here:
    # the test reads what the client saw, not the server's tracebacks.
    logging.getLogger("websockets").setLevel(logging.CRITICAL)

    async def echo(connection):
        seen = {}
        for name, value in connection.request.headers.raw_items():
            seen.setdefault(name.lower(), []).append(value)
        async for message in connection:
            if message == "headers":
                await connection.send(json.dumps(seen))
            else:
                await connection.send(message)

    async with serve(echo, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        print(port, flush=True)
        await asyncio.Future()


async def run_client(url, token, hold):
    try:
        async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}, open_timeout=10) as ws:
            await ws.send("hello")
            echo = await ws.recv()
            await ws.send("headers")
            headers = json.loads(await ws.recv())
            print(json.dumps({"echo": echo, "headers": headers}), flush=True)
            if hold is None:
                return
            started = time.monotonic()
            try:
                while time.monotonic() - started < hold:
                    await ws.send("ping")
                    await asyncio.wait_for(ws.recv(), timeout=hold)
                    await asyncio.sleep(0.2)
                print(json.dumps({"open": True}), flush=True)
            except (ConnectionClosed, asyncio.TimeoutError, OSError):
                print(json.dumps({"closed_after": round(time.monotonic() - started, 2)}), flush=True)
    except InvalidStatus as refused:
        response = refused.response
        print(json.dumps({"refused": response.status_code, "body": response.body.decode("utf-8", "replace")}), flush=True)


def main():
    if sys.argv[1] == "server":
        asyncio.run(run_server())
    else:
        hold = float(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "hold" else None
        asyncio.run(run_client(sys.argv[2], sys.argv[3], hold))


if __name__ == "__main__":
    main()
