"""Block Kit as terminal text: what a person would see in Slack, readably.

Pure functions over message dicts. Slack's markup becomes what Slack would show:
`*bold*` bold (in a terminal that takes colours; else plain), `:x:` ❌, `<@U…>` the
person's name, `<url|label>` the label with a short form of the link, and a link
shown once per message (a post holds its download link in its text, its button and
its context line: one is enough). `plain` is the same for one piece of text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import emoji

_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]+))?>")
_BARE_URL = re.compile(r"(?<![<|\w])https?://[^\s<>|]+")
_USER = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]+))?>")
_CHANNEL = re.compile(r"<#([A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(here|channel|everyone)(?:\|[^>]*)?>")
_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
_CODE = re.compile(r"`([^`\n]+)`")
_SHORT = 48


@dataclass
class Style:
    """How the text is marked: ANSI styles in a terminal that takes them, else none."""

    color: bool = False
    names: Mapping[str, str] = field(default_factory=dict)  # user and channel ids -> names

    def bold(self, text: str) -> str:
        return f"\x1b[1m{text}\x1b[22m" if self.color else text

    def dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[22m" if self.color else text

    def link(self, text: str, url: str) -> str:
        # OSC 8: the short text, clickable to the whole link, where the terminal can.
        return f"\x1b]8;;{url}\x1b\\{text}\x1b]8;;\x1b\\" if self.color else text


def short_url(url: str) -> str:
    """`host/…/last` and the query's last characters (so a new signature shows)."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    last = path.rsplit("/", 1)[-1]
    shown = parts.netloc + (f"/…/{last}" if path.count("/") > 1 else path)
    if parts.query:
        shown += f"?…{parts.query[-4:]}"
    return shown if len(shown) <= _SHORT else shown[: _SHORT - 1] + "…"


class _Links:
    """The links of one message: each shown in full once, by its label after that."""

    def __init__(self, style: Style) -> None:
        self._style = style
        self._seen: set[str] = set()

    def show(self, url: str, label: str | None) -> str:
        if label and url.startswith(_unescape(label).rstrip("…")):
            label = None  # a link whose text is itself (cut short) is the link alone
        first = url not in self._seen
        self._seen.add(url)
        if not first:
            return label or "(the link above)"
        short = self._style.link(self._style.dim(f"<{short_url(url)}>"), url)
        return f"{label} {short}" if label else short


def plain(mrkdwn: str, style: Style | None = None, links: _Links | None = None) -> str:
    style = style or Style()
    links = links or _Links(style)
    fences: list[str] = []

    def fence(match: re.Match[str]) -> str:
        body = match[1].strip("\n")
        fences.append("\n".join(f"  │ {line}" for line in _unescape(body).splitlines()))
        return f"\x00{len(fences) - 1}\x00"

    text = _FENCE.sub(fence, mrkdwn)
    text = _DATE.sub(lambda m: m[1], text)
    text = _USER.sub(lambda m: "@" + (style.names.get(m[1]) or m[2] or m[1]), text)
    text = _CHANNEL.sub(lambda m: "#" + (m[2] or style.names.get(m[1]) or m[1].lower()), text)
    text = _SPECIAL.sub(lambda m: f"@{m[1]}", text)
    text = _LINK.sub(lambda m: links.show(_unescape(m[1]), m[2]), text)
    text = _BARE_URL.sub(lambda m: links.show(_unescape(m[0]), None), text)
    text = _CODE.sub(lambda m: m[1], text)
    text = _BOLD.sub(lambda m: style.bold(m[1]), text)
    text = _ITALIC.sub(lambda m: style.dim(m[1]), text)
    text = _STRIKE.sub(lambda m: m[1], text)
    text = emoji.emojize(_unescape(text), language="alias")
    return re.sub(r"\x00(\d+)\x00", lambda m: "\n" + fences[int(m[1])] + "\n", text)


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class _Message:
    def __init__(self, style: Style) -> None:
        self.style = style
        self.links = _Links(style)

    def text(self, obj: dict[str, Any] | None) -> str:
        obj = obj or {}
        raw = str(obj.get("text") or "")
        if obj.get("type") == "plain_text":
            return emoji.emojize(raw, language="alias")
        return plain(raw, self.style, self.links)

    def element(self, element: dict[str, Any]) -> str:
        kind = element.get("type")
        if kind == "button":
            label = f"[{self.text(element.get('text'))}]"
            return self.links.show(element["url"], label) if element.get("url") else label
        if kind == "static_select":
            options = " | ".join(self.text(o.get("text")) for o in element.get("options") or [])
            return f"[{self.text(element.get('placeholder'))} ▾ {options}]"
        if kind in ("mrkdwn", "plain_text"):
            return self.text(element)
        if kind == "image":
            return ""
        if kind in ("rich_text_section", "rich_text_preformatted", "rich_text_quote"):
            return "".join(self.element(e) for e in element.get("elements") or [])
        if kind == "link":
            return self.links.show(str(element.get("url") or ""), element.get("text"))
        if kind == "text":
            return str(element.get("text") or "")
        return ""

    def block(self, block: dict[str, Any]) -> list[str]:
        kind = block.get("type")
        if kind == "section":
            lines = [self.text(block.get("text"))] if block.get("text") else []
            lines += [self.text(f) for f in block.get("fields") or []]
            if block.get("accessory"):
                lines.append(self.element(block["accessory"]))
            return lines
        if kind == "header":
            return [self.style.bold(self.text(block.get("text")).upper())]
        if kind == "context":
            parts = (self.element(e) for e in block.get("elements") or [])
            return ["  " + "  ".join(p for p in parts if p)]
        if kind == "actions":
            return ["  ".join(self.element(e) for e in block.get("elements") or [])]
        if kind == "divider":
            return ["-" * 40]
        if kind == "rich_text":
            return ["".join(self.element(e) for e in block.get("elements") or [])]
        return []


def body_lines(message: dict[str, Any], style: Style | None = None) -> list[str]:
    """A message's content as terminal lines (without a heading)."""
    rendering = _Message(style or Style())
    blocks = message.get("blocks")
    lines: list[str] = []
    if blocks:
        for block in blocks:
            lines.extend(rendering.block(block))
    elif message.get("text"):
        lines.append(rendering.text({"text": message["text"]}))
    return [line for text in lines for line in text.split("\n")]


def heading(label: str) -> str:
    return f"── {label} " + "─" * max(0, 50 - len(label))


def render(message: dict[str, Any], label: str, style: Style | None = None) -> str:
    """A message as lines under a label (who sees it, and where)."""
    lines = [heading(label), *body_lines(message, style)]
    return "\n".join(line for line in lines if line.strip() or line == "")


__all__ = ["Style", "body_lines", "heading", "plain", "render", "short_url"]
