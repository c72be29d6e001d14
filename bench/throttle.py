"""A throttling TCP proxy on loopback: each connection gets a bandwidth cap per direction and a
round-trip delay, as a runner's connection to PyPI or GitHub over a real network would.

Model: a connection is a pair of links (one each way). A link carries `rate` bytes per second and
delivers each byte `rtt / 2` after it finished crossing; a new connection's first bytes wait one
extra round trip (the TCP handshake). Data is read from the sender only as fast as the link drains
(plus one bandwidth-delay product in flight), so the sender feels the cap through TCP's own
back-pressure, not through a buffer that swallows the whole file.

Several connections share nothing: the cap is per connection, which is what parallel transfers
gain from on a real network (per-connection throughput is bound by window and loss, not by the
runner's uplink). The proxy runs its own asyncio loop in a thread; `listen()` binds a port now
and `forward()` says later where it leads, so a server can be told the proxy's URL before it
starts.
"""

import asyncio
import socket
import threading
import time

CHUNK = 64 * 1024


class Throttle:
    """The proxy: `rate` bytes per second per connection and direction, `rtt` seconds."""

    def __init__(self, rate, rtt):
        self.rate = float(rate)
        self.rtt = float(rtt)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="throttle", daemon=True)
        self.thread.start()
        self.targets = {}
        self.servers = []
        self.connections = 0

    def listen(self):
        """Binds a new port on 127.0.0.1 and returns it; connections wait until `forward()`."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen(128)
        sock.setblocking(False)
        port = sock.getsockname()[1]
        self.targets[port] = asyncio.Future(loop=self.loop)

        async def start():
            server = await asyncio.start_server(
                lambda r, w: self._serve(port, r, w), sock=sock)
            self.servers.append(server)

        asyncio.run_coroutine_threadsafe(start(), self.loop).result()
        return port

    def forward(self, port, target_port, target_host="127.0.0.1"):
        """Connections to `port` go to `target_host:target_port`."""
        fut = self.targets[port]
        self.loop.call_soon_threadsafe(fut.set_result, (target_host, target_port))

    def close(self):
        """Stops listening and drops every connection."""
        async def stop():
            for s in self.servers:
                s.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        self.loop.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    async def _serve(self, port, client_r, client_w):
        self.connections += 1
        host, target = await self.targets[port]
        try:
            server_r, server_w = await asyncio.open_connection(host, target)
        except OSError:
            client_w.close()
            return
        for w in (client_w, server_w):
            sock = w.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # The handshake: nothing flows until a round trip has passed.
        opened = time.monotonic() + self.rtt
        up = asyncio.ensure_future(self._link(client_r, server_w, opened))
        down = asyncio.ensure_future(self._link(server_r, client_w, opened))
        try:
            await asyncio.gather(up, down)
        except (asyncio.CancelledError, OSError):
            up.cancel()
            down.cancel()
        finally:
            for w in (client_w, server_w):
                w.close()

    async def _link(self, reader, writer, opened):
        """One direction: read as the link drains, deliver each chunk `rtt / 2` after it
        crossed; end with EOF when the sender does."""
        delay = self.rtt / 2
        window = max(self.rate * delay, 4 * CHUNK)
        queue = asyncio.Queue()
        free_at = opened  # when the link has carried everything read so far

        async def deliver():
            while True:
                due, chunk = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if chunk is None:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(chunk)
                await writer.drain()

        sender = asyncio.ensure_future(deliver())
        try:
            while True:
                # Read no further ahead than one window beyond what the link has carried.
                ahead = (free_at - time.monotonic()) * self.rate
                if ahead > window:
                    await asyncio.sleep((ahead - window) / self.rate)
                try:
                    chunk = await reader.read(CHUNK)
                except OSError:
                    chunk = b""
                if not chunk:
                    await queue.put((max(free_at, time.monotonic()) + delay, None))
                    break
                start = max(free_at, time.monotonic())
                free_at = start + len(chunk) / self.rate
                await queue.put((free_at + delay, chunk))
            await sender
        except (asyncio.CancelledError, OSError):
            sender.cancel()
            raise


def _self_test():
    """Checks the model against itself: one connection's throughput and round trip."""
    import http.server

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = b"x" * int(self.path.strip("/") or "0")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor
    with Throttle(rate=25e6, rtt=0.04) as t:
        port = t.listen()
        t.forward(port, server.server_address[1])
        started = time.monotonic()
        urllib.request.urlopen(f"http://127.0.0.1:{port}/0").read()
        small = time.monotonic() - started
        started = time.monotonic()
        got = urllib.request.urlopen(f"http://127.0.0.1:{port}/{25_000_000}").read()
        big = time.monotonic() - started
        assert len(got) == 25_000_000
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            sizes = list(pool.map(
                lambda _: len(urllib.request.urlopen(f"http://127.0.0.1:{port}/{25_000_000}").read()),
                range(8)))
        eight = time.monotonic() - started
        assert sizes == [25_000_000] * 8
    server.shutdown()
    print(f"empty answer: {small * 1000:.0f} ms (2 round trips: 80 ms); "
          f"25 MB: {big:.2f} s (1.0 s at 25 MB/s + 2 round trips); "
          f"8 x 25 MB at once: {eight:.2f} s (the same if the proxy keeps up)")


if __name__ == "__main__":
    _self_test()
