"""The HTTP layer: routing a request to Socket.IO or the WSGI app, and answering it.

``handler`` is the gevent WSGI handler that recognises ``/socket.io/1/...`` URLs, answers
handshakes and hands requests to a transport; ``responses`` writes status lines and
bodies; ``headers``, ``cors``, ``origins``, ``static`` and ``flashpolicy`` are the small
parts it uses. Nothing here knows a namespace: packets go to the session of the core.
"""
