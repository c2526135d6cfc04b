"""A fake Asterisk Manager Interface on 127.0.0.1: the greeting, the login, and the events
of recorded fixtures, played when a test asks (a real TCP connection, as from Asterisk)."""

from __future__ import annotations

import asyncio
from pathlib import Path

FIXTURES = Path(__file__).parent / "data" / "telephony"
EOL = "\r\n"


def ami_fixture(name: str) -> list[str]:
    """The event blocks of a fixture file (one block per event, blank lines between)."""
    text = (FIXTURES / name).read_text()
    return [block.strip() for block in text.split("\n\n") if block.strip()]


class FakeAmi:
    """Accepts manager connections; ``play`` sends event blocks to every logged-in one."""

    def __init__(self, user: str, secret: str) -> None:
        self.user, self.secret = user, secret
        self.port = 0
        self.logins: list[bool] = []
        self._clients: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None

    async def start(self, port: int = 0) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Closes the listener and drops every connection (Asterisk restarting)."""
        for writer in self._clients:
            writer.close()
        self._clients.clear()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def play(self, blocks: list[str]) -> None:
        """Sends the events, in order, to every logged-in client."""
        for writer in self._clients:
            for block in blocks:
                writer.write((EOL.join(block.splitlines()) + EOL + EOL).encode())
            await writer.drain()

    @property
    def connected(self) -> int:
        return len(self._clients)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(f"Asterisk Call Manager/9.0.0{EOL}".encode())
        try:
            while True:
                action = await self._read_block(reader)
                if action is None:
                    break
                await self._answer(action, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if writer in self._clients:
                self._clients.remove(writer)
            writer.close()

    async def _answer(self, action: dict[str, str], writer: asyncio.StreamWriter) -> None:
        action_id = action.get("actionid", "")
        kind = action.get("action", "").lower()
        if kind == "login":
            ok = action.get("username") == self.user and action.get("secret") == self.secret
            self.logins.append(ok)
            if not ok:
                writer.write(
                    f"Response: Error{EOL}ActionID: {action_id}{EOL}"
                    f"Message: Authentication failed{EOL}{EOL}".encode()
                )
                await writer.drain()
                writer.close()
                return
            writer.write(
                f"Response: Success{EOL}ActionID: {action_id}{EOL}"
                f"Message: Authentication accepted{EOL}{EOL}"
                f"Event: FullyBooted{EOL}Privilege: system,all{EOL}"
                f"Status: Fully Booted{EOL}{EOL}".encode()
            )
            self._clients.append(writer)
        else:  # Ping and anything else: a plain success
            writer.write(
                f"Response: Success{EOL}ActionID: {action_id}{EOL}Ping: Pong{EOL}{EOL}".encode()
            )
        await writer.drain()

    @staticmethod
    async def _read_block(reader: asyncio.StreamReader) -> dict[str, str] | None:
        fields: dict[str, str] = {}
        while True:
            line = await reader.readline()
            if not line:
                return None
            text = line.decode().strip()
            if not text:
                if fields:
                    return fields
                continue
            key, _, value = text.partition(":")
            fields[key.strip().lower()] = value.strip()
