"""Server options are checked when the server is built, never when a client arrives."""

from __future__ import annotations

import pytest

from geventsio import ConfigurationError, SocketIOServer
from geventsio.core.config import ServerConfig


@pytest.mark.parametrize("options, complaint", [
    ({"heartbeat_timeout": None}, "heartbeat_timeout"),
    ({"heartbeat_timeout": 0}, "heartbeat_timeout"),
    ({"close_timeout": None}, "close_timeout"),
    ({"close_timeout": -1}, "close_timeout"),
    ({"heartbeat_interval": 0}, "heartbeat_interval"),
    ({"heartbeat_interval": True}, "heartbeat_interval"),
    ({"polling_duration": float("nan")}, "polling_duration"),
    ({"heartbeat_timeout": 3_000_000}, "heartbeat_timeout"),
    ({"heartbeat_interval": 60, "heartbeat_timeout": 60}, "shorter than heartbeat_timeout"),
    ({"polling_duration": 60, "close_timeout": 60}, "shorter than close_timeout"),
    ({"transports": []}, "transports"),
    ({"transports": ["websocket", "carrier-pigeon"]}, "transports"),
    ({"resource": "/"}, "resource"),
    ({"max_body_size": 0}, "max_body_size"),
    ({"max_queue": 0}, "max_queue"),
    ({"max_header_bytes": 0}, "max_header_bytes"),
    ({"max_headers": 0}, "max_headers"),
    ({"ack_timeout": 0}, "ack_timeout"),
    ({"ack_timeout": None}, "ack_timeout"),
    ({"origins": ""}, "at least one"),
    ({"origins": "example.com"}, "host:port"),
    ({"origins": "*.example.com:80"}, "whole host"),
    ({"origins": "example.com:http"}, "invalid port"),
    ({"origins": ["example.com:80", 8080]}, "strings"),
    ({"policy_port": -1}, "policy_port"),
    ({"policy_port": "10843"}, "policy_port"),
])
def test_bad_options_are_refused_with_a_reason(options, complaint):
    with pytest.raises(ConfigurationError, match=complaint):
        SocketIOServer(("127.0.0.1", 0), None, **options)


def test_defaults_follow_the_reference_server():
    config = ServerConfig()
    assert (config.heartbeat_interval, config.heartbeat_timeout, config.close_timeout,
            config.polling_duration) == (25, 60, 60, 20)
    assert config.resource == "socket.io"
    # The reference's default order; then flashsocket (the reference appends it when it
    # is enabled) and xhr-multipart, which no 0.9 client has.
    assert config.transports == ("websocket", "htmlfile", "xhr-polling", "jsonp-polling",
                                 "flashsocket", "xhr-multipart")
    assert config.allowed_origins.allows_all
    assert (config.policy_server, config.policy_port) == (False, 10843)


def test_resource_slashes_are_trimmed():
    assert ServerConfig(resource="/api/rt/").resource == "api/rt"


def test_every_server_option_reaches_the_config_or_is_named_as_not_config():
    import inspect

    from geventsio.server import CONFIG_FIELDS, NOT_CONFIG

    parameters = inspect.signature(SocketIOServer.__init__).parameters
    options = {name for name, p in parameters.items()
               if name != "self" and p.kind is not p.VAR_KEYWORD}
    assert options - NOT_CONFIG <= CONFIG_FIELDS, options - NOT_CONFIG - CONFIG_FIELDS
    assert NOT_CONFIG <= options


def test_options_given_arrive_in_the_config():
    server = SocketIOServer(("127.0.0.1", 0), heartbeat_interval=3, close_timeout=40,
                            max_store_keys=7, ack_timeout=9, client_dir=None, log=None)
    config = server.config
    assert (config.heartbeat_interval, config.close_timeout) == (3, 40)
    assert (config.max_store_keys, config.ack_timeout) == (7, 9)
