"""The Python snippets in the docs compile and every name they import exists; the ones
written as interactive sessions (``>>>``) run, and must print what the page shows."""

from __future__ import annotations

import ast
import doctest
import importlib
import importlib.util
import os
import re
import shutil
import sys
import urllib.parse
import urllib.request

import gevent
import pytest
from gevent import subprocess

from .conftest import ROOT
from .nodeclient import NodeSocket

DOCS = os.path.join(ROOT, "docs")
_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
#: api.md's python blocks are signatures (``f(x) -> int``), not code.
_SIGNATURE_PAGES = {"api.md"}


def _snippets() -> list[tuple[str, int, str]]:
    found = []
    for folder, _dirs, files in sorted(os.walk(DOCS)):
        for file_name in sorted(files):
            name = os.path.relpath(os.path.join(folder, file_name), DOCS)
            if name.endswith(".md") and name not in _SIGNATURE_PAGES:
                with open(os.path.join(DOCS, name), encoding="utf-8") as fh:
                    for i, block in enumerate(_BLOCK.findall(fh.read())):
                        found.append((name, i, block))
    return found


SNIPPETS = _snippets()


def test_the_feature_pages_have_snippets():
    pages = {name for name, _i, _block in SNIPPETS}
    assert {"rooms.md", "volatile.md", "storage.md", "authorization.md", "porting.md",
            "flask.md", "quickstart.md"} <= pages


@pytest.mark.parametrize("page, index, source", SNIPPETS,
                         ids=[f"{name}#{i}" for name, i, _ in SNIPPETS])
def test_snippet_compiles_and_its_imports_exist(page, index, source):
    if source.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(source, {}, f"{page}#{index}", page, 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
        runner.run(test)
        assert runner.summarize(verbose=False).failed == 0, f"{page} block {index}"
        return
    tree = ast.parse(source, filename=f"{page} block {index}")
    compile(tree, page, "exec")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name), f"{page}: {node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)


# -- links ---------------------------------------------------------------------------
_LINK = re.compile(r"\]\(([^)\s]+)\)|<((?:https?|file)://[^>\s]+)>")
_UP_PATH = re.compile(r"(?<![\w.])((?:\.\./)+[\w./-]*)")
_HEADING = re.compile(r"^#{1,6} +(.+?) *$", re.M)
_LOCAL_HOSTS = ("127.0.0.1", "localhost")
#: Machine paths that exist only where the project is developed (built, not written out).
_MACHINE_PATHS = ("/" + "work/", "file:" + "//")


def _doc_pages() -> list[str]:
    pages = [os.path.join(DOCS, name) for name in sorted(os.listdir(DOCS))
             if name.endswith(".md")]
    return [os.path.join(ROOT, "README.md")] + pages


def _anchors(text: str) -> set[str]:
    """The ids a Markdown renderer gives headings (lowercase, punctuation dropped)."""
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in _HEADING.findall(re.sub(r"```.*?```", "", text, flags=re.S))}


def outside_links(path: str, text: str) -> list[str]:
    """Links of the page at ``path`` that lead out of the repository or to nothing."""
    bad = []
    prose = re.sub(r"`[^`\n]*`", "", re.sub(r"```.*?```", "", text, flags=re.S))
    for match in _LINK.finditer(prose):
        target = match.group(1) or match.group(2)
        bad += _check_target(path, text, target)
    for up in _UP_PATH.findall(text):
        where = os.path.normpath(os.path.join(os.path.dirname(path), up))
        if not where.startswith(ROOT + os.sep) or not os.path.exists(where):
            bad.append(f"{up} (not a path in the repository)")
    bad += [f"{p!r} (a machine path)" for p in _MACHINE_PATHS if p in text]
    return bad


def _check_target(path: str, text: str, target: str) -> list[str]:
    scheme = re.match(r"([a-z]+):", target)
    if scheme:
        host = re.match(r"[a-z]+://([^/:]+)", target)
        if host and host.group(1) in _LOCAL_HOSTS:
            return []  # the reader's own server
        return [f"{target} (outside the repository)"]
    file_part, _, anchor = target.partition("#")
    where = os.path.normpath(os.path.join(os.path.dirname(path), file_part))
    if not where.startswith(ROOT + os.sep) or not os.path.exists(where):
        return [f"{target} (no such file in the repository)"]
    if anchor and where.endswith(".md"):
        with open(where, encoding="utf-8") as fh:
            page = fh.read() if file_part else text
        if anchor not in _anchors(page):
            return [f"{target} (no such heading)"]
    return []


@pytest.mark.parametrize("page", _doc_pages(), ids=os.path.basename)
def test_docs_link_only_inside_the_repository(page):
    with open(page, encoding="utf-8") as fh:
        assert outside_links(page, fh.read()) == []


def test_the_link_check_finds_links_that_leave_the_repository():
    page = os.path.join(DOCS, "api.md")
    text = ("See [the contract](../../shared/API.md), `../shared/wire/`, "
            "[gone](nothere.md), [bad anchor](quickstart.md#no-such-part), "
            "[web](https://example.org/), [ok](quickstart.md#install), <http://127.0.0.1:8080/>")
    assert [item.split()[0] for item in outside_links(page, text)] == [
        "../../shared/API.md", "nothere.md", "quickstart.md#no-such-part",
        "https://example.org/", "../../shared/API.md", "../shared/wire/"]


# -- the Flask page's app and the client page's node program, run for real ------------
def _blocks(page: str, language: str) -> list[str]:
    with open(os.path.join(DOCS, page), encoding="utf-8") as fh:
        return re.findall(rf"```{language}\n(.*?)```", fh.read(), re.S)


@pytest.fixture
def chat_app(tmp_path):
    """flask.md's chat_app.py, written to a file, imported, served on a free port."""
    (source,) = [b for b in _blocks("flask.md", "python") if b.startswith("# chat_app.py")]
    path = tmp_path / "chat_app.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("chat_app", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["chat_app"] = module
    try:
        spec.loader.exec_module(module)
        server = module.make_server(module.create_app(), port=0)
        server.start()
        try:
            yield server
        finally:
            server.stop(timeout=2)
    finally:
        del sys.modules["chat_app"]


def _post(server, path: str, **form: str) -> str:
    url = f"http://127.0.0.1:{server.server_port}{path}"
    with urllib.request.urlopen(url, data=urllib.parse.urlencode(form).encode(),
                                timeout=15) as response:
        return response.read().decode()


def test_the_flask_page_app_serves_the_real_client(node, chat_app):
    url = f"http://127.0.0.1:{chat_app.server_port}"
    ann = NodeSocket(node, "doc-ann", url, "websocket", query="token=let-me-in")
    ann.connect()
    assert ann.of("/chat")
    assert ann.wait_event("welcome", ns="/chat") == [ann.sid]
    assert ann.wait_ack(ann.emit("nickname", "ann", ns="/chat", ack=True)) == ["welcome ann"]
    assert ann.wait_ack(ann.emit("join", "lobby", ns="/chat", ack=True)) == [["lobby"]]

    assert _post(chat_app, "/rooms/lobby/announce", text="tea") == '{"reached":1}\n'
    assert ann.wait_event("announcement", ns="/chat") == ["tea"]
    assert _post(chat_app, "/rooms/attic/announce", text="x") == '{"reached":0}\n'
    assert _post(chat_app, f"/clients/{ann.sid}/kick") == '{"kicked":true}\n'
    ann.wait_report("disconnect", ns="/chat")
    assert _post(chat_app, f"/clients/{ann.sid}/kick") == '{"kicked":false}\n'

    since = node.mark()
    intruder = NodeSocket(node, "doc-intruder", url, "websocket", query="token=no")
    intruder.connect(wait=False)
    report = intruder.wait_report("error", since=since)
    assert report["reason"] == "handshake unauthorized"


def test_the_client_page_program_runs_against_the_flask_page_app(chat_app):
    (program,) = [b for b in _blocks("clients.md", "javascript") if "device.js" in b]
    env = dict(os.environ, CHAT_URL=f"http://127.0.0.1:{chat_app.server_port}")
    proc = subprocess.Popen([shutil.which("node"), "-e", program], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    expected = {'ack: welcome device-42',
                'server error: handler_error: the server failed to handle "nickname"',
                'intruder refused: handshake unauthorized'}
    seen: list[str] = []
    try:
        with gevent.Timeout(20, False):
            while not expected <= set(seen):
                line = proc.stdout.readline()
                if not line:
                    break
                seen.append(line.decode().rstrip("\n"))
    finally:
        proc.kill()
        proc.wait()
    assert sorted(seen) == sorted(expected)   # nothing else: no ack for the failed call


def test_every_javascript_snippet_parses():
    sources = [b for page in ("clients.md", "flask.md", "quickstart.md")
               for b in _blocks(page, "javascript")]
    assert len(sources) >= 3
    check = "new Function(require('fs').readFileSync(0, 'utf8'))"
    for source in sources:
        done = subprocess.run([shutil.which("node"), "-e", check], input=source.encode(),
                              capture_output=True, timeout=30)
        assert done.returncode == 0, done.stderr.decode() + source
