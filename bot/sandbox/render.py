"""Block Kit as terminal text: what a person would see in Slack, readably.

Pure functions over message dicts; mrkdwn links become `label <url>`, escaped
characters come back, buttons read `[Label] <url>` (link buttons) or `[Label]`.
"""

from __future__ import annotations

import re
from typing import Any

_DATE = re.compile(r"<!date\^[^|>]*\|([^>]*)>")
_LINK = re.compile(r"<([^|>]+)\|([^>]+)>")
_BARE = re.compile(r"<(https?://[^|>]+)>")
_USER = re.compile(r"<@([A-Z0-9]+)>")


def plain(mrkdwn: str) -> str:
    text = _DATE.sub(lambda m: m[1], mrkdwn)
    text = _BARE.sub(lambda m: m[1], text)
    text = _LINK.sub(lambda m: f"{m[2]} <{m[1]}>", text)
    text = _USER.sub(lambda m: f"@{m[1]}", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text_of(obj: dict[str, Any] | None) -> str:
    return plain(str((obj or {}).get("text") or ""))


def _element(element: dict[str, Any]) -> str:
    kind = element.get("type")
    if kind == "button":
        label = _text_of(element.get("text"))
        return f"[{label}] <{element['url']}>" if element.get("url") else f"[{label}]"
    if kind == "static_select":
        options = " | ".join(_text_of(o.get("text")) for o in element.get("options") or [])
        return f"[{_text_of(element.get('placeholder'))} ▾ {options}]"
    if kind in ("mrkdwn", "plain_text"):
        return plain(str(element.get("text") or ""))
    if kind == "rich_text_section":
        return "".join(_element(e) for e in element.get("elements") or [])
    if kind == "link":
        return str(element.get("url") or "")
    if kind == "text":
        return str(element.get("text") or "")
    return ""


def _block(block: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "section":
        lines = [_text_of(block.get("text"))] if block.get("text") else []
        lines += [_text_of(field) for field in block.get("fields") or []]
        return lines
    if kind == "header":
        return [_text_of(block.get("text")).upper()]
    if kind == "context":
        return ["  " + "  ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "actions":
        return ["  ".join(_element(e) for e in block.get("elements") or [])]
    if kind == "divider":
        return ["-" * 40]
    if kind == "rich_text":
        return ["".join(_element(e) for e in block.get("elements") or [])]
    return []


def render(message: dict[str, Any], label: str) -> str:
    """A message as lines under a label (who sees it, and where)."""
    lines = [f"── {label} " + "─" * max(0, 50 - len(label))]
    blocks = message.get("blocks")
    if blocks:
        for block in blocks:
            lines.extend(_block(block))
    elif message.get("text"):
        lines.append(plain(str(message["text"])))
    return "\n".join(line for line in lines if line.strip() or line == "")


__all__ = ["plain", "render"]
