"""Which IP addresses the bot may connect to when fetching a user-supplied URL.

A feed URL is typed by a chat user, so without this check anyone in a channel
could make the bot read the cloud metadata service, the router's admin page or a
database on localhost (server-side request forgery). Every address a host
resolves to is classified here; a non-public one is refused unless the operator
allowed it explicitly.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_net = ipaddress.ip_network

#: Most specific first: the first match names the reason shown to the user.
_BLOCKED_V4: list[tuple[IPNetwork, str]] = [
    (_net("169.254.169.254/32"), "the cloud metadata address"),
    (_net("0.0.0.0/8"), "an unspecified address"),
    (_net("127.0.0.0/8"), "a loopback address"),
    (_net("10.0.0.0/8"), "a private address"),
    (_net("172.16.0.0/12"), "a private address"),
    (_net("192.168.0.0/16"), "a private address"),
    (_net("169.254.0.0/16"), "a link-local address"),
    (_net("100.64.0.0/10"), "a carrier-grade NAT (shared) address"),
    (_net("192.0.0.0/24"), "a reserved (IETF protocol) address"),
    (_net("192.0.2.0/24"), "a documentation address"),
    (_net("198.51.100.0/24"), "a documentation address"),
    (_net("203.0.113.0/24"), "a documentation address"),
    (_net("198.18.0.0/15"), "a benchmarking address"),
    (_net("224.0.0.0/4"), "a multicast address"),
    (_net("240.0.0.0/4"), "a reserved address"),
]
_BLOCKED_V6: list[tuple[IPNetwork, str]] = [
    (_net("::/128"), "an unspecified address"),
    (_net("::1/128"), "a loopback address"),
    (_net("fe80::/10"), "a link-local address"),
    (_net("fec0::/10"), "a site-local address"),
    (_net("fc00::/7"), "a unique-local (private) address"),
    (_net("ff00::/8"), "a multicast address"),
    (_net("2001:db8::/32"), "a documentation address"),
    (_net("100::/64"), "a discard-only address"),
    (_net("::/96"), "a reserved (IPv4-compatible) address"),
]
#: IPv6 forms that carry an IPv4 address inside; the inner address decides.
_NAT64 = _net("64:ff9b::/96")

#: Addresses refused even when private hosts are allowed: never a news source.
_ALWAYS_REFUSED = {"the cloud metadata address", "an unspecified address", "a multicast address"}


def blocked_reason(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address ("a private address"), or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            reason = blocked_reason(inner)
            return f"{reason[:-len(' address')]} address in IPv6 form ({inner})" if reason else None
        table = _BLOCKED_V6
    else:
        table = _BLOCKED_V4
    for network, reason in table:
        if ip in network:
            return reason
    if not ip.is_global:
        return "a reserved (non-public) address"
    return None


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, NAT64 or 6to4 IPv6 address leads to."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which non-public addresses an operator explicitly allowed.

    `allow_networks` names exact networks ("127.0.0.1/32" for a test server, or a
    LAN feed server); `allow_private` opens every private and loopback range but
    still never the metadata, unspecified or multicast addresses.
    """

    allow_private: bool = False
    allow_networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, *, allow_private: bool = False,
              allow_networks: Iterable[str | IPNetwork] = ()) -> AddressPolicy:
        nets = tuple(n if isinstance(n, ipaddress.IPv4Network | ipaddress.IPv6Network)
                     else ipaddress.ip_network(n.strip(), strict=False)
                     for n in allow_networks if str(n).strip())
        return cls(allow_private=allow_private, allow_networks=nets)

    def refusal(self, ip: IPAddress) -> str | None:
        """The reason `ip` is refused under this policy, or None when it may be used."""
        if any(ip.version == n.version and ip in n for n in self.allow_networks):
            return None
        reason = blocked_reason(ip)
        if reason is None:
            return None
        if self.allow_private and not any(r in reason for r in _ALWAYS_REFUSED):
            return None
        return reason


def parse_ip(text: str) -> IPAddress | None:
    """`text` as an IP address (brackets and zone ids tolerated), or None if it is a name."""
    text = text.strip("[]")
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None
