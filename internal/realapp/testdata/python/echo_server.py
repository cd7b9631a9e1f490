"""A Python `websockets` echo server on 127.0.0.1:PORT, set up as its docs
show: no subprotocols configured, so it selects none whatever a client
offers.

    python3 echo_server.py PORT
"""
import asyncio
import sys

import websockets


async def echo(websocket, path=None):
    async for message in websocket:
        await websocket.send(message)


async def main(port):
    async with websockets.serve(echo, "127.0.0.1", port):
        print(f"websockets {websockets.__version__} listening on 127.0.0.1:{port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
