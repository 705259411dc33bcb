"""Which forward proxy an outgoing call goes through, from the environment.

`HTTPS_PROXY` for https (and wss) URLs, `HTTP_PROXY` for http (and ws), else
`ALL_PROXY`; none for a host `NO_PROXY` names. Lower-case names work too. These are
the standard library's rules (`urllib.request`), the ones curl, requests and httpx
follow.

The clients the bot uses do not all follow them by themselves, so each call is given
its proxy here:
- the Harness API client (httpx) reads the environment itself, by the same rules;
- aiohttp (log downloads) ignores the environment unless `trust_env`, which would
  also send `~/.netrc` credentials to the hosts it names: each download is given the
  proxy for its URL instead;
- slack_sdk reads `HTTPS_PROXY` alone, for every scheme, and never `NO_PROXY`: each
  Slack client is given the proxy for the host it talks to, and none (direct) when
  `NO_PROXY` names it.
"""

from __future__ import annotations

from typing import Protocol, TypeVar
from urllib.parse import urlsplit
from urllib.request import getproxies_environment, proxy_bypass

# A websocket is proxied like the http(s) it upgrades from.
_SCHEMES = {"wss": "https", "ws": "http"}


def proxy_for(url: str) -> str | None:
    """The proxy URL for a call to `url`, or None to connect directly."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return None
    proxies = getproxies_environment()
    if proxy_bypass(host):  # NO_PROXY (on Linux, the environment's alone)
        return None
    scheme = _SCHEMES.get(parts.scheme.lower(), parts.scheme.lower())
    return proxies.get(scheme) or proxies.get("all") or None


class _SlackClient(Protocol):
    proxy: str | None


SlackClient = TypeVar("SlackClient", bound=_SlackClient)


def routed(client: SlackClient, url: str) -> SlackClient:
    """`client` (a slack_sdk client) set to reach `url` through its proxy, or directly.

    Set after construction: given no proxy, slack_sdk's constructors take
    `HTTPS_PROXY` even for a host `NO_PROXY` names; its calls read the attribute.
    """
    client.proxy = proxy_for(url)
    return client


__all__ = ["proxy_for", "routed"]
