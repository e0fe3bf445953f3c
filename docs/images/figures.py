"""Draw the pictures of docs/how-it-works.md as SVG (no dependencies).

    python docs/images/figures.py        # rewrites the .svg files next to this script

tests/test_docs_site.py checks that the committed SVGs are what this script draws.
"""

from __future__ import annotations

import os
from html import escape

HERE = os.path.dirname(os.path.abspath(__file__))
FONT = "font-family='DejaVu Sans, Verdana, sans-serif'"
INK, SOFT, ACCENT, PAPER = "#1f2933", "#52606d", "#2f6fad", "#f5f7fa"


def svg(width: int, height: int, body: list[str], title: str) -> str:
    return (f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
            f"viewBox='0 0 {width} {height}' role='img'>\n<title>{escape(title)}</title>\n"
            "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' "
            "markerWidth='7' markerHeight='7' orient='auto-start-reverse'>"
            f"<path d='M0,0 L10,5 L0,10 z' fill='{INK}'/></marker></defs>\n"
            f"<rect width='{width}' height='{height}' fill='white'/>\n"
            + "\n".join(body) + "\n</svg>\n")


def text(x: float, y: float, content: str, size: int = 13, anchor: str = "middle",
         color: str = INK, weight: str = "normal", mono: bool = False) -> str:
    family = "font-family='DejaVu Sans Mono, monospace'" if mono else FONT
    return (f"<text x='{x}' y='{y}' {family} font-size='{size}' text-anchor='{anchor}' "
            f"fill='{color}' font-weight='{weight}'>{escape(content)}</text>")


def box(x: float, y: float, w: float, h: float, title: str, lines: list[str]) -> list[str]:
    out = [f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='8' fill='{PAPER}' "
           f"stroke='{ACCENT}' stroke-width='1.5'/>",
           text(x + w / 2, y + 22, title, 14, weight="bold")]
    for i, line in enumerate(lines):
        out.append(text(x + w / 2, y + 42 + 17 * i, line, 11, color=SOFT))
    return out


def arrow(x1: float, y1: float, x2: float, y2: float, label: str = "", dashed: bool = False,
          label_dy: float = -6, mono: bool = True, anchor: str = "middle") -> list[str]:
    dash = " stroke-dasharray='5,4'" if dashed else ""
    out = [f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{INK}' "
           f"stroke-width='1.4' marker-end='url(#arrow)'{dash}/>"]
    if label:
        lx = (x1 + x2) / 2 if anchor == "middle" else min(x1, x2) + 8
        out.append(text(lx, (y1 + y2) / 2 + label_dy, label, 11, anchor=anchor, mono=mono))
    return out


def packet_flow() -> str:
    stages = [
        ("client", ["browser 0.9 client,", "node, geventsio.client"]),
        ("transport", ["websocket frames,", "polling bodies"]),
        ("protocol", ["decode_payload", "decode_packet"]),
        ("Session", ["state, outbox,", "timers, greenlets"]),
        ("namespace", ["on_<event>,", "recv_message"]),
        ("your code", ["handlers, views,", "server.of(...)"]),
    ]
    body, w, gap, y = [], 130, 34, 60
    for i, (title, lines) in enumerate(stages):
        x = 20 + i * (w + gap)
        body += box(x, y, w, 90, title, lines)
        if i:
            body += arrow(x - gap + 2, y + 30, x - 2, y + 30)
            body += arrow(x - 2, y + 64, x - gap + 2, y + 64, dashed=True)
    body.append(text(20, 30, "in: bytes -> text -> packet objects -> one dispatch -> handler",
                     13, anchor="start", weight="bold"))
    body.append(text(20, 190, "out (dashed): emit -> EventPacket -> encode_packet -> outbox "
                     "-> one writer per connection -> client", 13, anchor="start",
                     color=SOFT))
    body.append(text(20, 215, "'5:1+::{\"name\":\"add\",\"args\":[1,2]}'  is answered  "
                     "'6:::1+[3]'  (the handler's return value)", 12, anchor="start",
                     mono=True))
    return svg(1000, 235, body, "How a packet flows through geventsio")


def lifelines(x_client: int, x_server: int, top: int, bottom: int) -> list[str]:
    out = []
    for x, name in ((x_client, "client"), (x_server, "server")):
        out.append(text(x, top - 8, name, 13, weight="bold"))
        out.append(f"<line x1='{x}' y1='{top}' x2='{x}' y2='{bottom}' stroke='{SOFT}' "
                   "stroke-width='1' stroke-dasharray='2,3'/>")
    return out


def timelines() -> str:
    body: list[str] = []
    # websocket, left panel
    c, s, top = 60, 400, 70
    body.append(text(230, 24, "websocket", 15, weight="bold"))
    body += lifelines(c, s, top, 520)
    steps = [
        (c, s, "GET /socket.io/1/", False), (s, c, "sid:60:60:websocket,...", True),
        (c, s, "GET /socket.io/1/websocket/<sid>  Upgrade", False),
        (s, c, "101 Switching Protocols", True), (s, c, "1::", False),
        (c, s, "5:::{\"name\":\"hi\",\"args\":[]}", False),
        (s, c, "5:::{\"name\":\"welcome\",...}", False),
        (s, c, "2::   every heartbeat_interval", False), (c, s, "2::", False),
        (c, s, "0::   (goodbye)", False),
    ]
    for i, (a, b, label, dashed) in enumerate(steps):
        y = top + 30 + i * 42
        body += arrow(a, y, b, y, label, dashed)
    # xhr-polling, right panel
    c, s = 520, 900
    body.append(text(710, 24, "xhr-polling", 15, weight="bold"))
    body += lifelines(c, s, top, 520)
    y = top + 30
    body += arrow(c, y, s, y, "GET /socket.io/1/")
    body += arrow(s, y + 30, c, y + 30, "sid:60:60:xhr-polling,...", True)
    body += arrow(c, y + 70, s, y + 70, "GET .../xhr-polling/<sid>")
    body += arrow(s, y + 100, c, y + 100, "1::", True)
    body += arrow(c, y + 140, s, y + 140, "GET (held open)")
    body.append(f"<rect x='{s - 6}' y='{y + 140}' width='12' height='120' fill='{PAPER}' "
                f"stroke='{ACCENT}'/>")
    body.append(text(s - 14, y + 240, "held up to polling_duration", 11, anchor="end",
                     color=SOFT))
    body += arrow(c, y + 180, s, y + 180, "POST (queued packets, framed)")
    body += arrow(s, y + 210, c, y + 210, "200 1", True)
    body += arrow(s, y + 260, c, y + 260, "payload (or 8:: when idle)", True)
    body += arrow(c, y + 300, s, y + 300, "GET again at once")
    body.append(text(710, y + 350, "no GET for close_timeout: the session ends", 11,
                     color=SOFT))
    body.append(text(710, y + 370, "frames: \\ufffd<length>\\ufffd<packet>, lengths in UTF-16"
                     " units", 11, color=SOFT))
    return svg(960, 540, body, "The websocket and xhr-polling transports over time")


def reconnect() -> str:
    body = [text(20, 26, "Python client and 0.9 JS client: reconnecting after the transport "
                 "is lost", 14, anchor="start", weight="bold")]
    x, y, scale = 40, 90, 70
    body.append(f"<line x1='{x}' y1='{y}' x2='{x + 12.5 * scale}' y2='{y}' stroke='{INK}' "
                "marker-end='url(#arrow)'/>")
    body.append(text(x, y + 40, "lost", 12, anchor="start"))
    t, delay = 0.0, 0.5
    for attempt in range(1, 5):
        t += delay
        px = x + t * scale
        body.append(f"<circle cx='{px}' cy='{y}' r='6' fill='{ACCENT}'/>")
        body.append(text(px, y - 14, f"attempt {attempt}", 11))
        body.append(text(px, y + 22, f"t={t:g}s", 11, color=SOFT))
        delay *= 2
    body.append(text(x + 12.5 * scale, y + 40, "delay doubles up to reconnection_limit; "
                     "max_reconnection_attempts (10), then reconnect_failed", 11,
                     anchor="end", color=SOFT))
    return svg(940, 150, body, "Reconnection backoff")


def layers() -> str:
    """The package's layers, top to bottom; each imports only those below it."""
    bands = [
        ("entry points", "server.py  gunicorn.py  cli.py  paste.py  sdjango.py  testing.py  "
         "cluster/", "start serving (gevent, gunicorn, PasteDeploy, Django, the command "
         "line); cluster/ joins many processes"),
        ("application API", "namespace.py  emitter.py  mixins.py  socketsview.py  client/",
         "what apps subclass and call: BaseNamespace, server.of(ns), the mixins"),
        ("http/", "handler.py  responses.py  headers.py  cors.py  static.py  flashpolicy.py",
         "routes a request: handshake, transport, static file, or the WSGI app"),
        ("transports/", "websocket.py  polling.py  jsonp.py  streaming.py  held.py  base.py",
         "move one session's packets over one kind of connection"),
        ("core/", "session.py  inbound.py  hosting.py  manager.py  outbox.py  rooms.py  "
         "storage.py  acks.py  timers.py  config.py", "sessions and what they share in "
         "one process; the one targeting function"),
        ("protocol/", "codec.py  packets.py  payload.py  handshake.py  frames.py  dicts.py",
         "pure: text and bytes in, packet objects out (no I/O, strict mypy)"),
    ]
    body, top, height, gap = [], 50, 62, 10
    body.append(text(20, 30, "geventsio's layers: each imports only the layers below it "
                     "(tests/test_layers.py)", 14, anchor="start", weight="bold"))
    for i, (name, modules, job) in enumerate(bands):
        y = top + i * (height + gap)
        body.append(f"<rect x='20' y='{y}' width='860' height='{height}' rx='8' "
                     f"fill='{PAPER}' stroke='{ACCENT}' stroke-width='1.5'/>")
        body.append(text(36, y + 24, name, 14, anchor="start", weight="bold"))
        body.append(text(200, y + 24, modules, 11, anchor="start", mono=True))
        body.append(text(200, y + 46, job, 12, anchor="start", color=SOFT))
        if i:
            body += arrow(900, y - gap - height / 2, 900, y + height / 2)
    bottom = top + len(bands) * (height + gap)
    body.append(text(20, bottom + 12, "exceptions.py (ProtocolError, ...) is shared by "
                     "every layer and imports nothing of the package.", 12,
                     anchor="start", color=SOFT))
    return svg(930, bottom + 30, body, "The layers of the geventsio package")


FIGURES = {"packet-flow.svg": packet_flow, "layers.svg": layers, "transports-timeline.svg": timelines,
           "reconnect-backoff.svg": reconnect}


def main() -> None:
    for name, draw in FIGURES.items():
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as fh:
            fh.write(draw())


if __name__ == "__main__":
    main()
