"""Benchmarks: geventsio against raw gevent-websocket, socket.io 0.9.19 and python-socketio 5.

``python -m benchmarks.run`` installs the peers into ``benchmarks/.peers/`` (git-ignored),
runs every scenario against every server and writes ``docs/benchmarks.md`` and
``docs/benchmarks.png``. See docs/benchmarks.md.
"""
