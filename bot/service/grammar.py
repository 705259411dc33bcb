"""`/harness-logs` command text -> what the person asked for (pure, no I/O): the
slash command's words and the terminal's `fetch` words are one grammar.

    help
    <Harness execution URL>
    <pipeline> [[#]<run>] [<stage>[/<step>]] [in <org>/<project>]
    subscribe <pipeline> [in <org>/<project>] [branch=main,release/*] [stages=deploy_*]
              [events=failures|all] [mention=author|none]
    unsubscribe <pipeline> [in <org>/<project>]
    unmute <pipeline> [in <org>/<project>]
    subscriptions

Names may be identifiers or display names in quotes ("Deploy Prod"/Rollout);
`stage.step` is accepted for identifiers. A run number needs no `#` (a shell reads
`#42` as a comment). Everything is validated here, so nothing unchecked is ever sent
to Harness. `typed` and `command_words` go the other way: a name or a target as
someone would type it, so a suggestion can be typed exactly as shown.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field

from bot.domain import Events, Filters, Mention, Scope
from bot.domain.identifiers import IDENTIFIER
from bot.service.targets import NamedTarget, Target, UrlTarget

MAX_TEXT = 500
# Harness names: letters, digits, space, `_`, `-`, `.`; identifiers also allow `$`.
_NAME = re.compile(r"[A-Za-z0-9_$][A-Za-z0-9_$ .-]{0,127}")
_RUN = re.compile(r"#?(\d{1,9})")
# A name typed bare reads back as itself; anything else is quoted.
_BARE_NAME = re.compile(r"[A-Za-z0-9_$-]+")
_URL = re.compile(r"<?([a-z][a-z0-9+.-]*://[^\s|>]+)(?:\|[^>]*)?>?", re.IGNORECASE)
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'"})
HELP_WORDS = frozenset({"", "help", "-h", "--help", "?", "usage"})


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class FetchLogs:
    target: Target


@dataclass(frozen=True)
class Subscribe:
    pipeline: str
    scope: Scope | None = None
    events: Events = "failures"
    filters: Filters = field(default_factory=Filters)


@dataclass(frozen=True)
class Unsubscribe:
    pipeline: str
    scope: Scope | None = None


@dataclass(frozen=True)
class Unmute:
    pipeline: str
    scope: Scope | None = None


@dataclass(frozen=True)
class ListSubscriptions:
    pass


Command = Help | FetchLogs | Subscribe | Unsubscribe | Unmute | ListSubscriptions

# Subscription options: `name=value`; globs are Harness branch and stage names with
# `*`, `?` and `[...]`, separated by commas.
_OPTION = re.compile(r"([A-Za-z]+)=(\S*)")
_GLOB = re.compile(r"[A-Za-z0-9_.\-/*?\[\]$]{1,100}")
_OPTION_NAMES = {
    "branch": "branch",
    "branches": "branch",
    "stage": "stages",
    "stages": "stages",
    "events": "events",
    "mention": "mention",
}
MAX_GLOBS = 10


class CommandError(ValueError):
    """The text does not follow the grammar; the message says what is wrong."""


@dataclass(frozen=True)
class _Token:
    """A whitespace-separated word: `/`-separated segments, each maybe quoted."""

    segments: tuple[tuple[str, bool], ...]

    @property
    def bare(self) -> str | None:
        """The text of a single unquoted segment, else None."""
        if len(self.segments) == 1 and not self.segments[0][1]:
            return self.segments[0][0]
        return None

    @property
    def text(self) -> str:
        return "/".join(s for s, _ in self.segments)


def parse_command(raw: str) -> Command:
    text = clean_text(raw)
    if text.lower() in HELP_WORDS:
        return Help()
    verb, _, rest = text.partition(" ")
    if verb.lower() in ("subscribe", "unsubscribe", "subscriptions", "unmute"):
        return _parse_subscription(verb.lower(), rest)
    url = _URL.match(text)
    if url:
        if text[url.end() :].strip():
            raise CommandError("Paste the execution link on its own, with nothing after it.")
        return FetchLogs(UrlTarget(url.group(1)))
    return FetchLogs(_parse_named(_tokenize(text)))


def clean_text(raw: str) -> str:
    """Undo Slack's escaping and smart quotes; refuse control characters and novels."""
    if len(raw) > MAX_TEXT:
        raise CommandError(f"That is too long for a command ({len(raw):,} characters).")
    text = html.unescape(raw).translate(_QUOTES)
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in text):
        raise CommandError("That text contains control characters.")
    return " ".join(text.split())


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    segments: list[tuple[str, bool]] = []
    current, quoted, quote = "", False, ""
    for ch in text + " ":
        if quote:
            if ch == quote:
                quote = ""
            else:
                current += ch
        elif ch in "\"'":
            quote, quoted = ch, True
        elif ch == "/":
            segments.append((current, quoted))
            current, quoted = "", False
        elif ch == " ":
            if current or quoted or segments:
                segments.append((current, quoted))
                tokens.append(_Token(tuple(segments)))
            segments, current, quoted = [], "", False
        else:
            current += ch
    if quote:
        raise CommandError("A quote is not closed.")
    return tokens


def _parse_named(tokens: list[_Token]) -> NamedTarget:
    scope = None
    if len(tokens) >= 2 and (tokens[-2].bare or "").lower() == "in":
        scope = _scope(tokens[-1])
        tokens = tokens[:-2]
    if not tokens:
        raise CommandError("Name a pipeline first.")
    pipeline_token, rest = tokens[0], tokens[1:]
    if len(pipeline_token.segments) != 1:
        raise CommandError("A pipeline name cannot contain `/`.")
    pipeline = _name(pipeline_token.segments[0][0], "pipeline")

    run = None
    # Harness identifiers never start with a digit, so a bare number is a run too.
    if rest and rest[0].bare is not None and rest[0].text[:1] in "#0123456789":
        match = _RUN.fullmatch(rest[0].text)
        if not match or int(match.group(1)) == 0:
            raise CommandError(
                f"`{rest[0].text}` is not a run number; write it like `42` or `#42`."
            )
        run = int(match.group(1))
        rest = rest[1:]

    stage = step = None
    if rest:
        stage, step = _stage_and_step(rest[0])
        rest = rest[1:]
    if rest:
        extra = rest[0].text
        if extra.lower() == "in":
            raise CommandError("Write the scope as `in <org>/<project>`.")
        raise CommandError(
            f"I did not understand `{extra}`. Quote names with spaces, "
            'e.g. `"Deploy Prod"/Rollout`.'
        )
    return NamedTarget(pipeline=pipeline, run=run, stage=stage, step=step, scope=scope)


def _parse_subscription(verb: str, rest: str) -> Command:
    words, options = [], {}
    for word in rest.split(" ") if rest else []:
        option = _OPTION.fullmatch(word)
        if option is None:
            words.append(word)
            continue
        name = _OPTION_NAMES.get(option[1].lower())
        if name is None:
            raise CommandError(
                f"`{_shown(option[1])}=` is not an option. Subscriptions take "
                "`branch=`, `stages=`, `events=` and `mention=`."
            )
        if verb != "subscribe":
            raise CommandError(f"`{option[1].lower()}=` goes with `subscribe`.")
        if name in options:
            raise CommandError(f"Give `{name}=` once.")
        options[name] = option[2]
    tokens = _tokenize(" ".join(words))
    if verb == "subscriptions":
        if tokens:
            raise CommandError("`subscriptions` takes nothing after it.")
        return ListSubscriptions()
    if not tokens:
        what = {"subscribe": "subscribe to", "unmute": "unmute"}.get(verb, "unsubscribe from")
        raise CommandError(f"Name the pipeline to {what}, e.g. `{verb} deploy_checkout`.")
    target = _parse_named(tokens)
    if target.run is not None or target.stage is not None:
        raise CommandError(
            f"Subscriptions are per pipeline: `{verb} <pipeline> [in <org>/<project>]`."
        )
    if verb == "subscribe":
        events, filters = _options(options)
        return Subscribe(target.pipeline, target.scope, events, filters)
    if verb == "unmute":
        return Unmute(target.pipeline, target.scope)
    return Unsubscribe(target.pipeline, target.scope)


def _options(options: dict[str, str]) -> tuple[Events, Filters]:
    events_text = options.get("events", "failures").lower()
    if events_text not in ("failures", "all"):
        raise CommandError("Write `events=failures` (the default) or `events=all`.")
    mention_text = options.get("mention", "author").lower()
    if mention_text not in ("author", "none"):
        raise CommandError("Write `mention=author` (the default) or `mention=none`.")
    events: Events = "all" if events_text == "all" else "failures"
    mention: Mention = "none" if mention_text == "none" else "author"
    return events, Filters(
        branches=_globs(options.get("branch", ""), "branch"),
        stages=_globs(options.get("stages", ""), "stages"),
        mention=mention,
    )


def _globs(value: str, what: str) -> tuple[str, ...]:
    """Comma-separated globs; empty (or `*`) means any."""
    globs = tuple(dict.fromkeys(g for g in value.split(",") if g))
    if len(globs) > MAX_GLOBS:
        raise CommandError(f"Give at most {MAX_GLOBS} patterns to `{what}=`.")
    for glob in globs:
        if not _GLOB.fullmatch(glob):
            raise CommandError(
                f"`{_shown(glob)}` is not a {what} pattern (names with `*`, `?` and `[…]`)."
            )
    return () if globs == ("*",) else globs


def _stage_and_step(token: _Token) -> tuple[str, str | None]:
    segments = token.segments
    if len(segments) == 1:
        text, quoted = segments[0]
        if not quoted and "." in text:
            stage, _, step = text.partition(".")
            return _name(stage, "stage"), _name(step, "step")
        return _name(text, "stage"), None
    if len(segments) == 2:
        return _name(segments[0][0], "stage"), _name(segments[1][0], "step")
    raise CommandError("Name at most a stage and a step, as `stage/step`.")


def _scope(token: _Token) -> Scope:
    if len(token.segments) != 2:
        raise CommandError("Write the scope as `in <org>/<project>`.")
    org, project = (s for s, _ in token.segments)
    for value, what in ((org, "organization"), (project, "project")):
        if not IDENTIFIER.fullmatch(value):
            raise CommandError(f"`{_shown(value)}` is not a valid {what} identifier.")
    return Scope(org, project)


def _name(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise CommandError(f"The {what} name is empty.")
    if not _NAME.fullmatch(value) or ".." in value:
        raise CommandError(
            f"`{_shown(value)}` is not a valid {what} name "
            "(letters, digits, spaces, `_`, `-` and `.` only)."
        )
    return value


def typed(name: str) -> str:
    """`name` as one word of a command that reads back as exactly that name: bare when
    it is a plain identifier-like word, else in quotes (so `Deploy Checkout` is
    `"Deploy Checkout"`, which a person can type as shown)."""
    if _BARE_NAME.fullmatch(name) and not name[:1].isdigit():
        return name
    return f"'{name}'" if '"' in name else f'"{name}"'


def command_words(target: NamedTarget) -> list[str]:
    """The words that `parse_command` reads back as `target` (run numbers without `#`,
    which a terminal would take for a comment)."""
    words = [typed(target.pipeline)]
    if target.run is not None:
        words.append(str(target.run))
    if target.stage is not None:
        stage = typed(target.stage)
        words.append(f"{stage}/{typed(target.step)}" if target.step is not None else stage)
    if target.scope is not None:
        words += ["in", f"{target.scope.org}/{target.scope.project}"]
    return words


def _shown(value: str) -> str:
    """A user's text, short and without backticks, for quoting back in a message."""
    value = value.replace("`", "'")
    return value if len(value) <= 40 else value[:39] + "…"
