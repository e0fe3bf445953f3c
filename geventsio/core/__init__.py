"""The core: sessions and what they share in one process.

A ``session`` is one client (state machine, timers, its ``outbox``); the ``manager``
holds every session of the process and is the one place that targets packets (sid, room,
namespace, minus some sids); ``rooms`` and ``storage`` index rooms and per-client values;
``acks``, ``timers``, ``fairness``, ``admission``, ``loglimit`` and ``metrics`` are the
small parts sessions and the manager use; ``workers`` lends greenlets to connections
that have work; ``config`` and ``options`` hold the server's settings. Nothing here reads
a socket: transports and the HTTP layer do.
"""
