"""What a failing line looks like: weighted patterns, matched over whole chunks at once.

Harness CI writes every line as level `info`, stderr included, so the failure
has to be found from the text. Each rule is a regular expression with a weight
(how much a line matching it explains a failure; negative for lines that only
look alarming: `0 errors`, warnings, passed tests) and, where it says something
about the cause, a failure kind with its own weight.

The rules are matched by bot/excerpt/matching.py: compiled into one Hyperscan
database and run over a whole chunk of raw NDJSON in one call, because per-line
Python work would be far too slow for a 150 MB log. So the patterns see the line
as stored, JSON-escaped (`\\"` for a quote, `\\u001b` for ESC), and never span a
newline (`[ \\t]`, not `\\s`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.domain.excerpt import Kind


class Role(enum.Enum):
    """What a matching line is to a reader, beyond its weight."""

    PLAIN = "plain"
    SUMMARY = "summary"  # counts, exit codes: how the run ended
    LOCATION = "location"  # file:line, stack frames
    STEP = "step"  # which step or command ran
    KEY_BEGIN = "key_begin"  # a private key block opens
    KEY_END = "key_end"


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: str
    weight: int
    kind: Kind | None = None
    kind_weight: int = 0
    role: Role = Role.PLAIN
    caseless: bool = False


# Where the text of a line starts: the start of a plain-text line, or the start
# of an NDJSON `out` value; then any colour codes, timestamps and indentation. A
# log downloaded with `gh run view --log` puts the job and the step in front of
# GitHub's timestamp, each followed by a tab.
_STAMP = r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d+)?Z?[ \t]"
_START = (
    r'(?:^|"out"[ \t]*:[ \t]*")'
    r"(?:\\u001[bB]\[[0-9;?]*[A-Za-z]|\x1b\[[0-9;?]*[A-Za-z]"
    r'|(?:[^"\\\t\n]{1,80}(?:\\t|\t)){2}' + _STAMP + "|" + _STAMP + "|"
    r"\[\d{4}-\d\d-\d\d[^\]\n]{0,40}\][ \t]?|\\t|[ \t])*"
)
_FILE_EXT = (
    r"(?:py|pyi|js|mjs|cjs|ts|tsx|jsx|go|rs|java|kt|kts|scala|groovy|rb|c|cc|cpp|cxx|h|hpp|cs"
    r"|php|swift|m|mm|tf|hcl|ya?ml|json|toml|rst|md|mdx|sh|bash|gradle|xml|vue|svelte|dart"
    r"|ex|exs|erl|hs|ml|lua|pl|sql|proto|css|scss|html)"
)

TEST, COMPILE, LINT, DEPS, ACCESS, OOM, NET, IMAGE, CONFIG = (
    Kind.TEST_FAILURE,
    Kind.COMPILE_ERROR,
    Kind.LINT_ERROR,
    Kind.DEPENDENCY_INSTALL,
    Kind.PERMISSION_OR_SECRET,
    Kind.TIMEOUT_OR_OOM,
    Kind.NETWORK_OR_FLAKY,
    Kind.CONTAINER_BUILD,
    Kind.PIPELINE_CONFIG,
)

RULES: tuple[Rule, ...] = (
    # -- explicit error markers -------------------------------------------------
    # GitHub's error annotation, only where a line starts with it: a printed script that
    # would emit one (`printf '::error::…'`) is not one.
    Rule("annotation", _START + r"(?:##\[error\]|::error\b)", 10),
    Rule("level_error", r'"level"[ \t]*:[ \t]*"(?:error|fatal|ERROR|FATAL)"', 8),
    Rule("error_start", _START + r"(?:error|ERROR|Error)\b", 9),
    Rule("fatal_start", _START + r"(?:fatal|FATAL|Fatal)\b", 10),
    Rule("panic_start", _START + r"panic:", 10, TEST, 3),
    Rule("error_colon", r"\b(?:error|ERROR|Error)(?:\[[^\]\n]{1,40}\])?:", 6),
    Rule("bracket_error", r"\[(?:ERROR|FATAL|error)\]", 8),
    Rule("error_word", r"\b(?:error|ERROR|errors|ERRORS|Error)\b", 4),
    Rule("fatal_word", r"\bfatal\b", 5, caseless=True),
    Rule("fail_word", r"\bfail(?:ed|ure|ures|ing|s)?\b", 4, caseless=True),
    Rule("exception_word", r"\bexception\b", 3, caseless=True),
    Rule(
        "trouble_word",
        r"\b(?:cannot|can't|could ?not|couldn't|unable to|not found|does not exist"
        r"|doesn't exist|no such|invalid|missing|unexpected|refused|rejected|aborted|abort)\b",
        3,
        caseless=True,
    ),
    Rule(
        "exception_line",
        r"\b[A-Z][A-Za-z0-9_]*(?:Error|Exception|Failure|Fault)\b(?::|[ \t]*(?:\\n)?\\?\"|$)",
        8,
    ),
    Rule("warning_line", r"\b[A-Z][A-Za-z0-9_]*Warning:", 3),
    Rule("traceback", r"Traceback \(most recent call last\)", 8),
    Rule("caused_by", r"\bCaused by:", 6),
    Rule("what_went_wrong", r"What went wrong", 9),
    # Says that the build failed, not why (a test, a formatter, a download): no kind.
    Rule("build_failure", r"BUILD FAILURE|BUILD FAILED|FAILURE: Build failed", 10),
    Rule("task_failed", r"Execution failed for task '|The following build commands failed:", 9),
    # -- how the run ended -----------------------------------------------------
    Rule(
        "exit_code",
        r"\b(?:exit(?:ed)?(?: with)?|return(?:ed)?|completed with)[ \t](?:code|status)\b[: =]*[1-9]"
        r"|\bnon-zero exit|\bexited with [1-9]|\bCommand failed\b|\bcompleted with errors\b"
        r"|\bexit status [1-9]|\bexit code:? [1-9]|\bexiting with code [1-9]",
        7,
        role=Role.SUMMARY,
        caseless=True,
    ),
    Rule(
        "killed",
        # Not a JVM flag (-XX:+HeapDumpOnOutOfMemoryError) nor a test named after it.
        r"OOMKilled|\bout of memory\b|\bOutOfMemory(?:Error)?\b|heap out of memory"
        r"|Cannot allocate memory"
        r"|\bexit (?:code|status):? 137\b|signal: killed|\bSIGKILL\b|\bMemoryError\b",
        10,
        OOM,
        12,
    ),
    Rule("killed_word", r"\bKilled\b", 6, OOM, 6),
    Rule(
        "timeout",
        r"\btimed out\b|\bdeadline exceeded\b|\btimeout exceeded\b|\bexceeded the (?:maximum )?"
        r"(?:time|timeout|deadline)\b|\bTimeoutError\b|\bTimeoutException\b|\btook too long\b",
        7,
        OOM,
        8,
        caseless=True,
    ),
    # A test runner's own time limit (jest, mocha, pytest-timeout, go test, ctest): the
    # cause of the failed test it reports, so it outweighs the test failure.
    Rule(
        "test_timeout",
        r"Exceeded timeout of \d+|\bTimeout of \d+ ?ms exceeded|\bTimeout >\d|test timed out after"
        r"|\bTest timed out\b|\bTimed out after \d|\(Timeout\)$|\(Timeout\)\\n",
        12,
        OOM,
        14,
    ),
    # A crash says nothing about which kind of step crashed: no kind.
    Rule("segfault", r"Segmentation fault|core dumped|\bSIGSEGV\b|\bsegfault\b", 9),
    # -- tests -----------------------------------------------------------------
    # Not Gradle's "FAILURE: Build failed", which any failing task prints.
    Rule("fail_start", _START + r"(?:FAIL|FAILED)\b|" + _START + r"FAILURE(?:$|[^:])", 9, TEST, 6),
    Rule("failed_caps", r"\bFAILED\b", 6, TEST, 4),
    Rule(
        "status_failed",
        r"\.{3,}[^\n]{0,24}\b(?:Failed|FAILED|failed|FAIL)\b|\[ *(?:FAILED|FAIL) *\]",
        8,
        role=Role.SUMMARY,
    ),
    Rule("go_fail", r"--- FAIL:", 10, TEST, 8),
    # The line naming a failed test, one per failure, where the runner's block names it
    # apart from its failure line: minitest's "Class#test [file:line]:", RSpec's rerun
    # list, ExUnit's "1) test … (Module)", CTest's "3 - name (Failed)".
    Rule(
        "test_name",
        _START + r"(?:[A-Z][\w:]*#\w+ \[[^\]\n]{1,200}:\d+\]:|rspec \./\S+:\d+ #"
        r"|\d+\) test .{1,200} \([A-Z][\w.]*\)(?:\\n)?\"|\d+ - \S+ \((?:Failed|Timeout|SEGFAULT"
        r"|Subprocess aborted|Child aborted|Exception)\))",
        7,
        TEST,
        6,
        role=Role.LOCATION,
    ),
    # go test's line for a package that did not build: its tests never ran.
    Rule("go_build_failed", r"\[(?:build|setup) failed\]", 9, COMPILE, 12),
    # go test's line for a package whose tests failed ("FAIL<tab>pkg<tab>0.014s"); a
    # package that did not build ends in "[build failed]" instead.
    Rule(
        "go_package_fail",
        _START + r"FAIL(?:\t|\\t)\S+(?:\t|\\t)\d+(?:\.\d+)?s\b",
        10,
        TEST,
        10,
        role=Role.SUMMARY,
    ),
    # Test runners' documented failure blocks: minitest and ExUnit's "1) Failure:", RSpec's
    # Failure/Error, ScalaTest and sbt, Erlang common_test and EUnit, hspec and cabal,
    # XCTest and swift-testing, CTest, Gradle's failing-tests line.
    Rule(
        "test_block",
        _START + r"\d+\) (?:Failure|Error):|Failure/Error:|\*\*\* FAILED \*\*\*"
        r"|\bTestsFailedException\b|\bTests unsuccessful\b|\bAssertion with \S+ failed"
        r"|==> [\w.:]+: FAILED|\.\.\.\*failed\*|Failures occurred running tests"
        r"|\bTest suite \S+(?: failed|: FAIL)\b|\bXCTAssert\w* failed|\bExpectation failed:"
        r"|\*\* TEST FAILED \*\*|The following tests FAILED|Errors while running CTest"
        r"|There were failing tests|Test Case '[^'\n]{1,200}' failed",
        10,
        TEST,
        12,
    ),
    Rule("pytest_e", _START + r"E {2,}\S", 7, TEST, 3),
    Rule("pytest_section", r"={3,} (?:FAILURES|ERRORS|short test summary info) ={3,}", 6, TEST, 6),
    Rule(
        "test_summary",
        # Not "(1 failure)": xcodebuild's count of failed build commands.
        r"(?:^|[^(\d])\b[1-9]\d* (?:failed|failing|failures?|errored)\b"
        r"|\bTests?:?[ \t]+[1-9]\d* failed|\btests run: [^\n]{0,200}failed\b"
        # A count coloured apart from its word (cargo-nextest's summary).
        r"|(?:^|\D)[1-9]\d*(?:\\u001[bB]\[[0-9;]*m)+ (?:\\u001[bB]\[[0-9;]*m)*"
        r"(?:failed|failures?)\b"
        r"|test result: FAILED|Tests run:.*Failures: [1-9]|\b[1-9]\d* (?:of \d+ )?tests? failed"
        r"|\bFailed [1-9]\d* tests?\b|\bFailed: [1-9]\d*\.|\b[1-9]\d* TESTS? FAILED\b"
        r"|\btests? failed\b|No tests found",
        9,
        TEST,
        8,
        role=Role.SUMMARY,
    ),
    Rule(
        "error_count",
        r"\b[1-9]\d* errors?\b|\bFound [1-9]\d* errors?",
        6,
        role=Role.SUMMARY,
    ),
    Rule(
        "assertion",
        r"\bAssertionError\b|\bAssertError\b|\bassert(?:ion)? failed\b|\bexpected\b.{0,200}\b(?:to "
        r"(?:equal|be|match|have|contain)|but (?:got|was|received))\b|"
        + _START
        + r"Expected:|\bDocTestFailure\b"
        r"|\bExpected\b.{0,80}\bReceived\b|\bassert .{1,200} == ",
        7,
        TEST,
        9,
    ),
    Rule("panicked", r"\bpanicked at\b", 10, TEST, 4),
    Rule(
        "jest_marks",
        r"\xe2\x9c\x95|\xe2\x9c\x97|\\u2715|\\u2717|\xe2\x97\x8f |\\u25cf ",
        6,
        TEST,
        5,
    ),
    # -- compilers and type checkers -------------------------------------------
    Rule("rustc_code", r"\berror\[E\d{4}\]", 12, COMPILE, 12),
    Rule("tsc_code", r"\berror TS\d{3,5}\b", 12, COMPILE, 12),
    Rule(
        "compile_words",
        r"\bcannot find symbol\b|COMPILATION ERROR|could not compile|undefined reference"
        r"|\bundefined: \w|is not assignable to|\bmismatched types\b|\bunresolved import\b"
        r"|\bCannot find (?:module|name)\b|\bSyntaxError\b|\bIndentationError\b|\bParseError\b"
        r"|\bUnexpected token\b|\bhas no attribute\b|\bexpected '?[;:)\]}]'?\b"
        r"|Compilation fail(?:ure|ed)|Compilation error in file|\(CompileError\)"
        r"|Couldn't match (?:expected )?type|\btype mismatch\b|Type Mismatch Error"
        r"|cannot convert value of type|Execution failed for task '[^'\n]*:compile\w*'"
        r"|-- \[E\d{3}\] [A-Za-z ]{1,40}Error: ",
        8,
        COMPILE,
        9,
    ),
    Rule(
        "compiler_diag", r"\." + _FILE_EXT + r":\d+(?::\d+)?: (?:error|fatal error):", 9, COMPILE, 8
    ),
    Rule(
        "type_check_summary",
        r"\bFound [1-9]\d* errors? in \d+ files?",
        10,
        COMPILE,
        10,
        role=Role.SUMMARY,
    ),
    Rule("rust_arrow", _START + r"--> \S+:\d+", 4, COMPILE, 2, role=Role.LOCATION),
    # -- linters and formatters ------------------------------------------------
    Rule(
        "lint_summary",
        r"Code style issues (?:found|were found)|Run Prettier with --write|Forgot to run Prettier"
        r"|uses prettier to format|\b[Ww]ould reformat\b|files? would be reformatted"
        r"|\b\d+ problems? \(\d+ errors?|offenses? detected|\bfixable with\b",
        9,
        LINT,
        12,
    ),
    # Formatter checks: spotless, Checkstyle, ktlint, rustfmt's --check diff, clang-format,
    # a pre-commit hook that rewrote files. They fail a build without any "error".
    Rule(
        "format_check",
        r"had format violations|\bspotless\w*(?:Check|:check)\b|\bspotlessApply\b|spotless:apply"
        r"|files were modified by this hook|" + _START + r"Diff in \S+ at line \d+"
        r"|clang-format-violations|Checkstyle rule violations|Checkstyle violations? found"
        r"|\[ant:checkstyle\]|Execution failed for task '[^'\n]*(?:[Cc]heckstyle|spotless|ktlint"
        r"|detekt|[Ll]int)\w*'"
        r"|> Task :\S*(?:[Cc]heckstyle|spotless|ktlint|detekt|[Ll]int)\w* FAILED"
        r"|\bktlint\w*Check\b|would have been reformatted|is not formatted"
        r"|\bneeds? formatting\b",
        10,
        LINT,
        12,
    ),
    Rule("precommit_hook", _START + r"- hook id: \S+", 5, LINT, 3, role=Role.LOCATION),
    Rule("prettier_warn", _START + r"\[warn\] \S+\.\w+", 6, LINT, 6, role=Role.LOCATION),
    Rule(
        "lint_code",
        r"\." + _FILE_EXT + r":\d+:\d+: [EFWCDNI]\d{3,4}\b",
        7,
        LINT,
        8,
        role=Role.LOCATION,
    ),
    Rule(
        "lint_tools",
        r"\b(?:eslint|prettier|flake8|ruff|pylint|rubocop|golangci-lint|clippy|stylelint|black"
        r"|isort|shellcheck|hadolint|markdownlint|lint-staged|biome|checkstyle|ktlint|detekt"
        r"|gofmt|goimports|rustfmt|clang-format|spotless|swiftlint|swiftformat|scalafmt)\b",
        1,
        LINT,
        4,
        caseless=True,
    ),
    # -- dependencies ----------------------------------------------------------
    Rule(
        "dependency_errors",
        r"Could not find a version that satisfies|No matching distribution found"
        r"|ResolutionImpossible|\bERESOLVE\b|\bE404\b|\bETARGET\b|failed to select a version"
        r"|Could not resolve dependencies"
        r"|Unable to resolve dependency|Could not resolve all (?:files|dependencies)"
        r"|version solving failed|\bno matching package\b|ERR_PNPM_\w+"
        r"|lockfile (?:needs to be updated|is out of date)|unknown revision|missing go\.sum entry"
        r"|\bModuleNotFoundError\b|\bImportError\b|Cannot find package",
        9,
        DEPS,
        10,
    ),
    Rule("npm_err", r"\bnpm ERR!|\bnpm error\b|\bYN0\d{3}:", 6, DEPS, 4),
    Rule(
        "dependency_tools",
        r"\b(?:dependabot|renovate|pip install|npm (?:ci|install)|yarn install|pnpm install"
        r"|bundle install|poetry (?:install|lock)|cargo fetch|go mod download|mvn dependency)\b"
        r"|security_update_not_needed|\bdependency[-_ ]name\b",
        2,
        DEPS,
        6,
        caseless=True,
    ),
    # -- access ----------------------------------------------------------------
    Rule(
        "forbidden",
        r"\b(?:HTTP|status|code|error)\W{0,3}40[13]\b|\(HTTP 40[13]\)"
        r"|\b40[13] (?:Forbidden|Unauthorized)"
        r"|not accessible by integration|\baccess denied\b"
        r"|\bpermission to \S+ denied\b|\bdenied to\b|\bauthentication failed\b"
        r"|\b(?:invalid|bad) credentials\b|dubious ownership|\bnot authorized\b|\bPermissionError\b"
        r"|\baccess token\b.{0,40}\b(?:expired|invalid|revoked)\b|\bsecret\b.{0,40}\bnot found\b",
        8,
        ACCESS,
        10,
        caseless=True,
    ),
    # The bare words count only as words of a sentence, not inside a branch or file name.
    Rule(
        "forbidden_word",
        r"(?:^|[ \t:(\"'])(?:Forbidden|FORBIDDEN|Unauthori[sz]ed|UNAUTHORI[SZ]ED)(?:$|[ \t.:,)\\])",
        8,
        ACCESS,
        10,
    ),
    Rule("permission_denied", r"\bPermission denied\b", 8, ACCESS, 8, caseless=True),
    Rule("denied_word", r"\bdenied\b", 4, ACCESS, 4, caseless=True),
    # -- network ---------------------------------------------------------------
    Rule(
        "network",
        r"\bECONNREFUSED\b|\bECONNRESET\b|\bETIMEDOUT\b|\bENOTFOUND\b|\bEAI_AGAIN\b|\bENETUNREACH\b"
        r"|Could not resolve host|Connection refused|Connection reset|Connection timed out"
        r"|\bConnection to \S+ refused|\bcould not connect to (?:server|host)\b"
        r"|Temporary failure in name resolution|Name or service not known|TLS handshake timeout"
        r"|i/o timeout|network is unreachable|\b50[234] (?:Bad Gateway|Service Unavailable|Gateway"
        r" Time-?out)|\brate limit(?:ed)?\b|\bToo Many Requests\b|\bConnectionError\b"
        r"|\bSocketTimeoutException\b|\bUnknownHostException\b|\bremote end hung up\b",
        8,
        NET,
        10,
        caseless=True,
    ),
    # A connection that timed out is the network, not a step's time limit: this outweighs
    # the "timed out" of `timeout` on the same line.
    Rule(
        "network_timeout",
        r"\b(?:read|connect|connection|socket|request|handshake) timed out\b|Timeout was reached"
        r"|TLS handshake timeout"
        r"|\bi/o timeout\b|\bETIMEDOUT\b|ConnectTimeoutException|SocketTimeoutException"
        r"|\bnetwork request to \S+ failed|Failed to establish a new"
        r" connection|Received status code 5\d\d from server|network is unreachable",
        9,
        NET,
        14,
        caseless=True,
    ),
    # -- container builds ------------------------------------------------------
    Rule("buildkit_solve", r"failed to solve\b|failed to compute cache key", 10, IMAGE, 12),
    Rule(
        "docker_errors",
        r"ERROR \[[^\]\n]{0,60}\d+/\d+\]|executor failed running|error building image"
        r"|\bDockerfile:\d+|pull access denied|manifest unknown|\bfailed to build\b.{0,40}image",
        9,
        IMAGE,
        10,
    ),
    # -- the pipeline itself ---------------------------------------------------
    Rule(
        "pipeline_config",
        r"Invalid workflow file|Unrecognized named-value|\bsetFailed\b|Invalid yaml"
        r"|\bis not defined in the pipeline\b|\bunknown (?:input|variable|expression)\b"
        r"|\bexpression evaluation failed\b|Invalid (?:pipeline|stage|step) (?:yaml|configuration)"
        r"|\brequired input\b.{0,40}\bmissing\b",
        8,
        CONFIG,
        10,
    ),
    Rule("command_not_found", r"command not found|: not found$|is not recognized as", 9, CONFIG, 8),
    Rule("cmake_error", r"CMake Error\b|Configuring incomplete, errors occurred", 10),
    Rule("no_such_file", r"No such file or directory|ENOENT", 6),
    # A script of the pipeline's own that exits: a gate, when nothing else says more.
    Rule("explicit_exit", _START + r"exit [1-9]\d*\b", 5, CONFIG, 8),
    # -- where -----------------------------------------------------------------
    Rule(
        "file_location",
        r"[\w./@-]+\." + _FILE_EXT + r"(?::\d+|\(\d+|\\\\?\"?, line \d+| line \d+)",
        3,
        role=Role.LOCATION,
    ),
    Rule("stack_frame", _START + r"at [^\n]{1,300}[:(]\d+", 2, role=Role.LOCATION),
    Rule("python_frame", r"File \\\\?\"[^\n]{1,300}, line \d+", 3, role=Role.LOCATION),
    # -- which step ran ----------------------------------------------------------
    Rule(
        "step_header",
        r"Complete job name: |##\[group\]Run |" + _START + r"\+ \S",
        1,
        role=Role.STEP,
    ),
    # -- package audits: a failure, but of none of the kinds -----------------------
    Rule(
        "audit",
        r"\b[1-9]\d* (?:(?:low|moderate|high|critical) severity )?vulnerabilit(?:y|ies)\b"
        r"|\bvulnerabilities found\b|\bknown vulnerabilit|\bRUSTSEC-\d{4}-\d+|\bGHSA(?:-\w{4}){3}"
        r"|\bCVE-\d{4}-\d+|Your code is affected by",
        9,
        role=Role.SUMMARY,
        caseless=True,
    ),
    # -- lines that only look alarming -------------------------------------------
    # CI boilerplate that follows every failure and explains none: the exit line of
    # GitHub Actions and Travis CI, Maven's and Gradle's help lines.
    Rule(
        "ci_boilerplate",
        r"Process completed with exit code \d+|The command [^\n]{1,300} exited with \d+\."
        r"|Your build exited with \d+|Re-run Maven using the -X switch|re-run Maven with the -e"
        r"|For more information about the errors and possible solutions|\[Help \d+\] https?:"
        r"|Run with --(?:stacktrace|info|debug|scan)\b|Get more help at https://help\.gradle"
        r"|After correcting the problems, you can resume the build",
        -16,
    ),
    Rule(
        "zero_errors",
        r"\b0 (?:errors?|failed|failures?|problems?)\b|\b(?:errors?|failures?|failed)[:=][ \t]*0\b"
        r"|\bno (?:errors?|failures?)\b|\bwithout errors?\b|--no-error|-Werror|\b0 vulnerabilit"
        r"|\berror[-_]?(?:handler|page|log)\b",
        -8,
        caseless=True,
    ),
    Rule("passed", r"\bPASSED\b|\bPASS\b|\xe2\x9c\x93|\xe2\x9c\x94|\\u2713|\\u2714|\bok\b", -6),
    Rule("warning", r"\bwarn(?:ing)?s?\b|\bdeprecat", -3, caseless=True),
    Rule("debug", r"\b(?:DEBUG|TRACE)\b|::debug::|##\[debug\]|\[command\]", -4),
    Rule("retrying", r"\bretrying\b|\bwill retry\b|\battempt \d+ of\b", -2, caseless=True),
    # -- private keys: never shown, tracked across lines -------------------------
    Rule("key_begin", r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----", 0, role=Role.KEY_BEGIN),
    Rule("key_end", r"-----END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----", 0, role=Role.KEY_END),
)

WEIGHTS: tuple[int, ...] = tuple(rule.weight for rule in RULES)
KEY_BEGIN = next(i for i, r in enumerate(RULES) if r.role is Role.KEY_BEGIN)
KEY_END = next(i for i, r in enumerate(RULES) if r.role is Role.KEY_END)
SUMMARY_RULES = frozenset(i for i, r in enumerate(RULES) if r.role is Role.SUMMARY)
STEP_RULES = frozenset(i for i, r in enumerate(RULES) if r.role is Role.STEP)

# Literals of which every rule that can make a line worth showing needs one. A
# chunk is first searched for these alone (a literal set runs at memory speed);
# only the lines holding one are searched with the full rule set.
TRIGGERS: tuple[str, ...] = (
    "error",
    "fail",
    "fatal",
    "panic",
    "exception",
    "traceback",
    "denied",
    "forbidden",
    "unauthori",
    "killed",
    "memory",
    "timed out",
    "timeout",
    "deadline",
    "exit",
    "segmentation",
    "core dumped",
    "cannot",
    "can't",
    "could not",
    "couldn't",
    "unable",
    "not found",
    "does not exist",
    "doesn't exist",
    "no such",
    "invalid",
    "missing",
    "unexpected",
    "refused",
    "rejected",
    "abort",
    "assert",
    "expected",
    "caused by",
    "what went wrong",
    "econn",
    "etimedout",
    "enotfound",
    "eai_again",
    "enetunreach",
    "resolve",
    "connection",
    "tls handshake",
    "name resolution",
    "rate limit",
    "too many requests",
    "(http 40",
    "http 40",
    " 401",
    " 403",
    "permission",
    "ownership",
    "credentials",
    "not accessible",
    "not authorized",
    "private key",
    r"\u2715",
    r"\u2717",
    r"\u25cf",
    "\u2715",
    "\u2717",
    "\u25cf",
    "--- fail",
    "problems (",
    "reformat",
    "code style",
    "prettier",
    "[warn]",
    "offenses",
    "fixable",
    "npm err",
    "yn0",
    "err_pnpm",
    "eresolve",
    "e404",
    "etarget",
    "no matching",
    "version solving",
    "lockfile",
    "unknown revision",
    "go.sum",
    "satisfies",
    "dependabot",
    "security_update",
    "dependency",
    "failed to solve",
    "cache key",
    "dockerfile:",
    "manifest unknown",
    "setfailed",
    "invalid workflow",
    "unrecognized named-value",
    "not recognized",
    "enoent",
    "mismatched",
    "undefined",
    "not assignable",
    "has no attribute",
    "unresolved",
    "sigkill",
    "signal: killed",
    "137",
    "no tests",
    "complete job name",
    "build failed]",
    "setup failed]",
    "##[group]run ",
    "is not defined",
    "required input",
    "expression",
    "bad gateway",
    "service unavailable",
    "gateway time",
    "hung up",
    "took too long",
    "oomkilled",
    "outofmemory",
    "sigsegv",
    "segfault",
    "hook id",
    "modified by this hook",
    "format violation",
    "spotless",
    "checkstyle",
    "diff in ",
    "clang-format",
    "reformatted",
    "formatted",
    "formatting",
    "vulnerab",
    "rustsec-",
    "ghsa-",
    "cve-",
    "affected by",
    "mismatch",
    "couldn't match",
    "cannot convert",
    "compileerror",
    "unsuccessful",
    "network request",
    "new connection",
    "network is unreachable",
    "status code 5",
    "unreachable",
    "#test",
    "rspec ./",
    ") test ",
    "(failed)",
    "(subprocess aborted",
    "(child aborted",
)
# pytest's `E   ` lines: only the capital letter, or every "the  " would trigger.
CASED_TRIGGERS: tuple[str, ...] = ("E  ",)


def score(rules: frozenset[int]) -> int:
    return sum(WEIGHTS[rule] for rule in rules)


__all__ = [
    "CASED_TRIGGERS",
    "KEY_BEGIN",
    "KEY_END",
    "RULES",
    "STEP_RULES",
    "SUMMARY_RULES",
    "TRIGGERS",
    "WEIGHTS",
    "Role",
    "Rule",
    "score",
]
