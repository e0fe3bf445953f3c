"""``Dispatcher``: what the manager of a server in a cluster calls to reach other processes.

The manager delivers to its own clients itself; for everything beyond them it calls this
object, which turns the request into one :class:`~geventsio.cluster.envelope.Envelope` and
publishes it once: on the channel every process listens to (a broadcast), or on the
channel of the one process that owns a client (a packet for that client, a disconnect, a
relayed HTTP request). Envelopes that arrive are handed back to the manager's local
delivery. See docs/scaling.md for the design.
"""

from __future__ import annotations

import logging
import secrets
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Iterable

import gevent
from gevent.event import AsyncResult

from ..exceptions import ProtocolError
from ..protocol import json_dumps, json_loads
from .backend import Backend, QueueUnavailable
from .envelope import Envelope, Kind, decode, encode
from .keys import Keys, joined_entry, parse_joined
from .liveness import Liveness

if TYPE_CHECKING:
    from ..core.manager import Manager
    from ..core.session import Session

__all__ = ["Dispatcher"]

log = logging.getLogger("geventsio.cluster")

#: How long a claimed session's handshake data is kept (deleted when the session ends).
CLAIMED_SECONDS = 24 * 3600


class Dispatcher:
    """One process's link to the others, through ``backend``."""

    def __init__(self, manager: "Manager", backend: Backend, keys: Keys | None = None,
                 node: str | None = None) -> None:
        self.manager = manager
        self.backend = backend
        self.keys = keys or Keys()
        #: This process's id (its channel, its liveness key).
        self.node = node or secrets.token_hex(8)
        self.channel = self.keys.node_channel(self.node)
        self._waiting: dict[str, AsyncResult] = {}
        self.listening = False
        self.liveness: Liveness | None = None
        #: Whether :meth:`stop` closes the backend (made from a URL for this server; a
        #: backend object given by the app may be shared, and is the app's to close).
        self.owns_backend = False

    def start(self) -> None:
        """Listen, and keep this process's liveness key (a server starting)."""
        self.listen()
        if self.liveness is None:
            interval = min(2.0, self.manager.config.close_timeout / 6)
            self.liveness = Liveness(self, interval)
            self.liveness.start()

    def stop(self) -> None:
        """Stop keeping the liveness key and close the backend if it is this server's
        own (a server stopping, after its sessions have ended)."""
        if self.liveness is not None:
            self.liveness.stop()
            self.liveness = None
        if self.owns_backend:
            self.backend.close()

    def listen(self) -> None:
        """Subscribe to the broadcast channel and this process's own."""
        if not self.listening:
            self.listening = True
            self.backend.subscribe(self.keys.all, self.received)
            self.backend.subscribe(self.channel, self.received)

    def _publish(self, channel: str, envelope: Envelope) -> bool:
        try:
            self.backend.publish(channel, encode(envelope))
        except QueueUnavailable:
            self.manager.counters.queue_errors += 1
            return False
        return True

    # -- outbound ----------------------------------------------------------------------
    def broadcast(self, text: str, endpoint: str, rooms: Iterable[str] | None,
                  exclude: Iterable[str], volatile: bool) -> None:
        """Publish a packet for the members of ``endpoint`` (of ``rooms``, never empty
        when given) elsewhere."""
        self._publish(self.keys.all, Envelope(
            Kind.EMIT, self.node, endpoint, rooms=tuple(rooms) if rooms is not None else (),
            exclude=tuple(exclude), volatile=volatile, packet=text))

    def farewell_kept(self, sid: str) -> None:
        """This process keeps a farewell (``0::``) for ``sid``, a polling client kicked
        between two polls: its next poll, wherever it lands, is relayed here for
        ``close_timeout``, as in one process."""
        try:
            self.backend.set(self.keys.ended(sid), self.node.encode("ascii"),
                             ttl=self.manager.config.close_timeout)
        except QueueUnavailable:
            pass

    def owner_of(self, sid: str, ended: bool = False) -> str | None:
        """The id of the process owning ``sid``, if it is known and alive; with
        ``ended``, also of the process keeping its farewell."""
        try:
            found = self.backend.get(self.keys.owner(sid))
            if found is None and ended:
                found = self.backend.get(self.keys.ended(sid))
            if found is None:
                return None
            owner = found.decode("ascii", "replace")
            if owner != self.node and self.backend.get(self.keys.node_alive(owner)) is None:
                return None
        except QueueUnavailable:
            return None
        return owner

    def to_client(self, text: str, endpoint: str, sid: str, volatile: bool) -> bool:
        """Send a packet to client ``sid`` held by another process; False if unknown."""
        owner = self.owner_of(sid)
        if owner is None or owner == self.node:
            return False
        return self._publish(self.keys.node_channel(owner), Envelope(
            Kind.TO_CLIENT, self.node, endpoint, sid, volatile=volatile, packet=text))

    def disconnect(self, sid: str, endpoint: str, notify: bool) -> bool:
        """End ``sid``'s namespace on the process that owns it; False if unknown."""
        owner = self.owner_of(sid)
        if owner is None or owner == self.node:
            return False
        return self._publish(self.keys.node_channel(owner), Envelope(
            Kind.DISCONNECT, self.node, endpoint, sid, volatile=notify))

    def clients(self, endpoint: str, rooms: frozenset[str] | None) -> set[str]:
        """The sids of the whole cluster in ``endpoint`` (in any of ``rooms``)."""
        index = self.manager.index
        cluster_targets = getattr(index, "cluster_targets", None)
        if cluster_targets is None:  # a manager without the shared index
            return set(index.targets(endpoint, rooms))
        return set(cluster_targets(endpoint, rooms))

    # -- sessions ----------------------------------------------------------------------
    def record_handshake(self, handshake: dict[str, Any], sid: str) -> None:
        """Keep a new sid's handshake data until a process claims it (``close_timeout``);
        ProtocolError (503) when the queue is unreachable."""
        try:
            self.backend.set(self.keys.handshake(sid), json_dumps(handshake).encode("utf-8"),
                             ttl=self.manager.config.close_timeout)
        except QueueUnavailable:
            raise ProtocolError("the message queue is unreachable",
                                status=HTTPStatus.SERVICE_UNAVAILABLE) from None

    def claim(self, sid: str) -> "Session | None":
        """Become the owner of a handshaken sid nobody owns yet: its session, made here
        from the stored handshake; None if the sid is unknown or owned elsewhere."""
        keys, backend = self.keys, self.backend
        try:
            data = backend.get(keys.handshake(sid))
            if data is None or not backend.set(keys.owner(sid), self.node.encode("ascii"),
                                               only_new=True):
                return None
            backend.expire(keys.handshake(sid), CLAIMED_SECONDS)
            backend.set_add(keys.node_sids(self.node), sid)
        except QueueUnavailable:
            return None
        return self.manager.adopt(sid, json_loads(data.decode("utf-8")))

    def joined_entries(self, sid: str) -> list[tuple[str, str | None]]:
        """The namespaces and rooms the queue lists ``sid`` in: (endpoint, room or None)."""
        entries = []
        for entry in sorted(self.backend.set_members(self.keys.joined(sid))):
            try:
                entries.append(parse_joined(entry))
            except ValueError:
                continue
        return entries

    def republish(self) -> None:
        """Write again what the queue should know of this process's sessions (owner,
        handshake, memberships, stored values), after it lost them (Redis restarted
        empty) or missed changes (unreachable for a while): memberships it lists that
        this process's index no longer has are removed, the others written."""
        keys, backend = self.keys, self.backend
        for sid, session in list(self.manager.sessions.items()):
            backend.set(keys.owner(sid), self.node.encode("ascii"))
            backend.set(keys.handshake(sid), json_dumps(session.handshake).encode("utf-8"),
                        ttl=CLAIMED_SECONDS)
            backend.set_add(keys.node_sids(self.node), sid)
            self._unlist_stale(sid)
        for part in (self.manager.index, self.manager.store):
            republish = getattr(part, "republish", None)
            if republish is not None:
                republish()

    def _unlist_stale(self, sid: str) -> None:
        index, keys = self.manager.index, self.keys
        for endpoint, room in self.joined_entries(sid):
            here = (index.members(endpoint) if room is None
                    else index.room_members(endpoint, room))
            if sid not in here:
                self.backend.set_remove(keys.room(endpoint, room) if room is not None
                                        else keys.namespace(endpoint), sid)
                self.backend.set_remove(keys.joined(sid), joined_entry(endpoint, room))

    def forget(self, sid: str) -> None:
        """Session ``sid`` of this process ended: remove what the cluster kept of it,
        memberships that a change missed while the queue was unreachable included."""
        keys = self.keys
        try:
            for endpoint, room in self.joined_entries(sid):
                self.backend.set_remove(keys.room(endpoint, room) if room is not None
                                        else keys.namespace(endpoint), sid)
            self.backend.delete(keys.owner(sid), keys.handshake(sid), keys.joined(sid))
            self.backend.set_remove(keys.node_sids(self.node), sid)
        except QueueUnavailable:
            pass

    # -- relayed requests --------------------------------------------------------------
    def relay(self, owner: str, sid: str, transport: str, method: str, payload: str,
              wait: float) -> tuple[int, str] | None:
        """Have ``owner`` serve one HTTP request of ``sid``; its (status, body), or None
        if no answer came within ``wait`` seconds (the owner died, the queue is down)."""
        ref = secrets.token_hex(8)
        result: AsyncResult = AsyncResult()
        self._waiting[ref] = result
        try:
            if not self._publish(self.keys.node_channel(owner), Envelope(
                    Kind.REQUEST, self.node, sid=sid, ref=ref, reply_to=self.channel,
                    transport=transport, method=method, packet=payload)):
                return None
            answer: tuple[int, str] | None = result.get(timeout=wait, block=True)
            return answer
        except gevent.Timeout as exc:
            log.info("relayed %s of session %s to %s: no answer (%s)", method, sid, owner,
                     type(exc).__name__)
            return None
        finally:
            self._waiting.pop(ref, None)

    def answer(self, request: Envelope, status: int, body: str) -> None:
        """Send the answer to a relayed request back to the process that received it."""
        self._publish(request.reply_to, Envelope(Kind.ANSWER, self.node, ref=request.ref,
                                                 packet=body, status=status))

    # -- inbound -----------------------------------------------------------------------
    def received(self, data: bytes) -> None:
        """One message from the backend (runs in its listener: must not block)."""
        try:
            envelope = decode(data)
        except ProtocolError as exc:
            log.warning("malformed message from the queue dropped: %s", exc.message)
            return
        if envelope.origin == self.node and envelope.kind is Kind.EMIT:
            return  # delivered here when it was sent
        handle = _HANDLERS[envelope.kind]
        handle(self, envelope)

    def _on_emit(self, envelope: Envelope) -> None:
        self.manager.deliver_local(envelope.packet, envelope.endpoint,
                                   rooms=envelope.rooms or None,
                                   exclude=frozenset(envelope.exclude),
                                   volatile=envelope.volatile)

    def _on_to_client(self, envelope: Envelope) -> None:
        self.manager.deliver_local(envelope.packet, envelope.endpoint, sid=envelope.sid,
                                   volatile=envelope.volatile)

    def _on_disconnect(self, envelope: Envelope) -> None:
        self.manager.spawn(self.manager.disconnect_local, envelope.sid, envelope.endpoint,
                           envelope.volatile)

    def _on_request(self, envelope: Envelope) -> None:
        from .relay import serve_request

        self.manager.spawn(serve_request, self, envelope)

    def _on_answer(self, envelope: Envelope) -> None:
        result = self._waiting.pop(envelope.ref, None)
        if result is not None:
            result.set((envelope.status, envelope.packet))


_HANDLERS = {
    Kind.EMIT: Dispatcher._on_emit,
    Kind.TO_CLIENT: Dispatcher._on_to_client,
    Kind.DISCONNECT: Dispatcher._on_disconnect,
    Kind.REQUEST: Dispatcher._on_request,
    Kind.ANSWER: Dispatcher._on_answer,
}
