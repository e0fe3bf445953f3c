"""What the server counts, and its Prometheus text at ``metrics_path``.

The hot paths only add to plain integers (:class:`Counters`, one per server); everything
else (sessions by transport, clients by namespace, bytes queued) is read from the live
state when the metrics page is asked for. ``prometheus_client`` (the ``metrics`` extra)
is needed only to serve that page.
"""

from __future__ import annotations

from collections import Counter as Tally
from typing import TYPE_CHECKING, Any, Iterator

from ..exceptions import ConfigurationError

if TYPE_CHECKING:
    from .manager import Manager

__all__ = ["Counters", "MetricsPage"]


class Counters:
    """Running totals since the server started (plain integers: cheap to add to)."""

    __slots__ = ("packets_in", "packets_out", "volatile_dropped", "slow_disconnects",
                 "protocol_errors", "handshakes_refused", "relayed_requests", "queue_errors")

    def __init__(self) -> None:
        #: Packets received from clients (every transport).
        self.packets_in = 0
        #: Packets queued for clients (a broadcast counts once per recipient).
        self.packets_out = 0
        #: Volatile packets dropped because a client could not take them at once.
        self.volatile_dropped = 0
        #: Clients disconnected because their queue passed max_queue/max_buffer_bytes.
        self.slow_disconnects = 0
        #: Malformed packets and refused HTTP requests (4xx answers of ours).
        self.protocol_errors = 0
        #: Handshakes refused: authorization, origins, max_sessions, the handshake rate.
        self.handshakes_refused = 0
        #: Requests for sessions another process owns, relayed to it (message_queue=).
        self.relayed_requests = 0
        #: Messages for other processes lost because the message queue was unreachable.
        self.queue_errors = 0


_COUNTER_HELP = {
    "packets_in": "Socket.IO packets received from clients",
    "packets_out": "Socket.IO packets queued for clients (a broadcast once per recipient)",
    "volatile_dropped": "volatile packets dropped because a client could not take them",
    "slow_disconnects": "clients disconnected because too much waited for them",
    "protocol_errors": "malformed packets and refused requests",
    "handshakes_refused": "handshakes refused (authorization, origins, limits)",
    "relayed_requests": "requests relayed to the process owning their session",
    "queue_errors": "messages for other processes lost (message queue unreachable)",
}


class MetricsPage:
    """The Prometheus text of one server's metrics (a collector read at each scrape)."""

    content_type = "text/plain; version=0.0.4; charset=utf-8"

    def __init__(self, manager: "Manager") -> None:
        try:
            from prometheus_client import CollectorRegistry, generate_latest
        except ImportError:
            raise ConfigurationError(
                "metrics_path needs prometheus_client: pip install 'geventsio[metrics]'"
            ) from None
        self._generate = generate_latest
        self.manager = manager
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    def render(self) -> bytes:
        """The page, in Prometheus text format."""
        return bytes(self._generate(self.registry))

    def collect(self) -> Iterator[Any]:
        """prometheus_client's collector protocol: every metric, read now."""
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        manager = self.manager
        by_transport = Tally(_transport_name(s) for s in manager.sessions.values())
        sessions = GaugeMetricFamily("geventsio_sessions", "sessions by transport",
                                     labels=["transport"])
        for name, count in sorted(by_transport.items()):
            sessions.add_metric([name], count)
        yield sessions
        clients = GaugeMetricFamily("geventsio_namespace_clients", "clients by namespace",
                                    labels=["namespace"])
        for endpoint, count in sorted(manager.index.namespace_sizes().items()):
            clients.add_metric([endpoint], count)
        yield clients
        yield GaugeMetricFamily("geventsio_queued_bytes", "bytes waiting for clients",
                                value=sum(s.outbox.size for s in manager.sessions.values()))
        counters = manager.counters
        for name, text in _COUNTER_HELP.items():
            yield CounterMetricFamily(f"geventsio_{name}", text, value=getattr(counters, name))


def _transport_name(session: Any) -> str:
    transport = session.transport
    return "none" if transport is None else str(transport.name)
