"""detect-secrets' maintained catalogue, run over the text of an excerpt.

Three kinds of its plugins are used, each on the spans it finds (where an
expression marks the secret in a group, only that is hidden, not the key name or
the registry URL around it):

- the vendor detectors, each a regular expression for one token format (AWS,
  Slack, npm, Twilio, Discord, Artifactory, IBM, SoftLayer, Cloudant, …);
- the keyword detector's quoted assignments (`password = "a b c"`, `"secret": "…"`,
  `api_key => '…'`), where the value may hold spaces;
- the high-entropy detector for quoted base64-like strings (more than 4.5 bits per
  character: random keys, not words).

Left out on purpose, as they would hide what people need in an incident: the hex
entropy detector (commit SHAs and digests are random hex), the public-IP detector,
and the private-key detector (key blocks are hidden line by line, whole, by the
redactor). Findings of the keyword and entropy detectors go through detect-secrets'
own false-positive filters (sequential strings, UUIDs, `*_id` values, templates,
`$VARIABLES`, values without a letter), and through ours: paths and UUID-bearing
strings are not keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator
from typing import Any

from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.filters import heuristic
from detect_secrets.plugins import keyword
from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

from bot.excerpt.redaction.patterns import Pattern, hide

# Vendor detectors whose expressions are run; the rest are described above.
_LEFT_OUT = {
    "Base64HighEntropyString",
    "HexHighEntropyString",
    "IPPublicDetector",
    "KeywordDetector",
    "PrivateKeyDetector",
}


def _kind(plugin: Any) -> str:
    return re.sub(r"\W+", "_", str(plugin.secret_type).lower()).strip("_")


def _vendor_patterns() -> tuple[Pattern, ...]:
    found: list[Pattern] = []
    plugin: Any
    for plugin in get_mapping_from_secret_type_to_class().values():
        if plugin.__name__ not in _LEFT_OUT:
            found.extend(
                Pattern(_kind(plugin), regex, groups=bool(regex.groups))
                for regex in plugin.denylist
            )
    return tuple(found)


VENDORS = _vendor_patterns()

# The keyword detector's expressions for quoted values, with the group of the value.
_KEYWORDS: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    keyword.QUOTES_REQUIRED_DENYLIST_REGEX_TO_GROUP.items()
)

_ENTROPY = Base64HighEntropyString()  # its default limit: 4.5 bits per character

# Every expression this stage runs, for the redactor's prefilter.
EXPRESSIONS: tuple[re.Pattern[str], ...] = (
    *(p.regex for p in VENDORS),
    *(regex for regex, _ in _KEYWORDS),
    _ENTROPY.regex,
)

# A path or a string built around a UUID is not a key, however random it looks.
_PATH = re.compile(r"^(?:[.~]?/|[A-Za-z]:\\)")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)

_FILTERS: tuple[Callable[[str], bool], ...] = (
    heuristic.is_sequential_string,
    heuristic.is_potential_uuid,
    heuristic.is_templated_secret,
    heuristic.is_prefixed_with_dollar_sign,
    heuristic.is_not_alphanumeric_string,
)


def _ordinary(value: str, line: str) -> bool:
    """What detect-secrets' filters (and ours) say is not a secret."""
    return (
        any(check(value) for check in _FILTERS)
        or heuristic.is_likely_id_string(value, line)
        or bool(_PATH.match(value) or _UUID.search(value))
        or value.startswith("[REDACTED:")
    )


def _keyword_spans(line: str, possible: Container[re.Pattern[str]]) -> Iterator[tuple[int, int]]:
    for regex, group in _KEYWORDS:
        if regex not in possible:
            continue
        for match in regex.finditer(line):
            value = match.group(group)
            if value and not _ordinary(value, line):
                yield match.span(group)


def _entropy_spans(line: str, possible: Container[re.Pattern[str]]) -> Iterator[tuple[int, int]]:
    if _ENTROPY.regex not in possible:
        return
    for match in _ENTROPY.regex.finditer(line):
        value = match.group(2)
        if (
            len(value) >= 16
            and _ENTROPY.calculate_shannon_entropy(value) > _ENTROPY.entropy_limit
            and not _ordinary(value, line)
        ):
            yield match.span(2)


def _cover(line: str, spans: list[tuple[int, int]], kind: str) -> str:
    for start, end in sorted(set(spans), reverse=True):
        line = line[:start] + f"[REDACTED:{kind}]" + line[end:]
    return line


def redact(line: str, possible: Container[re.Pattern[str]]) -> str:
    """One line with what detect-secrets' plugins find hidden; only the expressions
    among `possible` (the prefilter's answer for the line) are run."""
    line = hide(line, VENDORS, possible)
    keyword_spans = list(_keyword_spans(line, possible))
    if keyword_spans:
        line = _cover(line, _outermost(keyword_spans), "secret")
    entropy_spans = list(_entropy_spans(line, possible))
    if entropy_spans:
        line = _cover(line, _outermost(entropy_spans), "high_entropy_string")
    return line


def _outermost(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(set(spans), key=lambda s: (s[0], -s[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


__all__ = ["EXPRESSIONS", "VENDORS", "redact"]
