"""Small apps written the way gevent-socketio 0.3 apps were, importing ``geventsio``
instead of ``socketio``: the yardstick of the promise that a port is an import change."""
