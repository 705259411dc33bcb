"""Failure shapes of the common ecosystems: each small log (written here, every line level
`info` as Harness CI stores it) must come out with the right kind, a headline that says
what failed, and the lines a reader needs inside the in-message budget.
"""

from __future__ import annotations

import pytest

from bot.excerpt import MESSAGE_CHARS, MESSAGE_LINE_CHARS, Kind, excerpt_of
from bot.excerpt.redaction import Redactor
from tests.excerpt.logs import ci_log

NOISE = "\n".join(f"Downloading dependency {i} of 300 (cache hit)" for i in range(300))


def shown(log: str) -> tuple[Kind, str | None, str]:
    excerpt = excerpt_of([ci_log(log)], Redactor())
    return excerpt.kind, excerpt.headline, excerpt.render(MESSAGE_CHARS, MESSAGE_LINE_CHARS)


CASES = {
    "pytest": (
        f"""
{NOISE}
============================= test session starts ==============================
collected 212 items
tests/test_cart.py ....F.....                                            [ 10%]
tests/test_api.py ......................                                 [ 21%]
=================================== FAILURES ===================================
__________________________ test_discount_rounding ___________________________
    def test_discount_rounding():
>       assert apply_discount(10.0, 0.001) == 10.0
E       assert 9.99 == 10.0
tests/test_cart.py:42: AssertionError
=========================== short test summary info ============================
FAILED tests/test_cart.py::test_discount_rounding - assert 9.99 == 10.0
======================== 1 failed, 211 passed in 12.31s ========================
""",
        Kind.TEST_FAILURE,
        "1 test failed: tests/test_cart.py::test_discount_rounding — assert 9.99 == 10.0",
        ["E       assert 9.99 == 10.0", "tests/test_cart.py:42", "1 failed, 211 passed"],
    ),
    "unittest": (
        f"""
{NOISE}
======================================================================
FAIL: test_total (shop.tests.CartTests.test_total)
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/app/shop/tests.py", line 18, in test_total
    self.assertEqual(cart.total(), 30)
AssertionError: 29 != 30
----------------------------------------------------------------------
Ran 48 tests in 0.412s

FAILED (failures=1)
""",
        Kind.TEST_FAILURE,
        None,
        ["FAIL: test_total", "AssertionError: 29 != 30", 'File "/app/shop/tests.py", line 18'],
    ),
    "python traceback": (
        f"""
{NOISE}
Traceback (most recent call last):
  File "/app/manage.py", line 22, in <module>
    main()
  File "/app/shop/settings.py", line 88, in <module>
    DATABASE_URL = os.environ["DATABASE_URL"]
KeyError: 'DATABASE_URL'
""",
        Kind.UNKNOWN,
        None,
        ["Traceback (most recent call last):", "KeyError: 'DATABASE_URL'", "settings.py"],
    ),
    "jest": (
        f"""
{NOISE}
PASS src/utils/format.test.ts
FAIL src/cart/cart.test.ts
  ● Cart › applies the discount

    expect(received).toBe(expected) // Object.is equality

    Expected: 10
    Received: 9.99

      40 |   const cart = new Cart([item(10)]);
    > 41 |   expect(cart.total(0.001)).toBe(10);
         |                             ^
      at Object.<anonymous> (src/cart/cart.test.ts:41:29)

Tests:       1 failed, 57 passed, 58 total
""",
        Kind.TEST_FAILURE,
        "1 test failed: Cart › applies the discount — Expected: 10",
        ["FAIL src/cart/cart.test.ts", "Received: 9.99", "cart.test.ts:41", "1 failed"],
    ),
    "go test": (
        f"""
{NOISE}
=== RUN   TestCheckout
    checkout_test.go:31: total = 9.99, want 10
--- FAIL: TestCheckout (0.00s)
=== RUN   TestRefund
--- PASS: TestRefund (0.00s)
FAIL
FAIL	github.com/acme/shop/cart	0.014s
ok  	github.com/acme/shop/api	0.120s
""",
        Kind.TEST_FAILURE,
        "Test failed: TestCheckout",
        ["--- FAIL: TestCheckout", "checkout_test.go:31: total = 9.99, want 10"],
    ),
    "go panic": (
        f"""
{NOISE}
panic: runtime error: invalid memory address or nil pointer dereference
[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4a2b1c]

goroutine 7 [running]:
github.com/acme/shop/cart.(*Cart).Total(0x0)
	/src/cart/cart.go:57 +0x1c
FAIL	github.com/acme/shop/cart	0.011s
""",
        Kind.TEST_FAILURE,
        None,
        ["panic: runtime error: invalid memory address", "/src/cart/cart.go:57"],
    ),
    "cargo": (
        f"""
{NOISE}
   Compiling shop v0.3.0 (/src)
error[E0308]: mismatched types
  --> src/cart.rs:12:20
   |
12 |     let total: u32 = price * 1.5;
   |                ---   ^^^^^^^^^^^ expected `u32`, found floating-point number
error: could not compile `shop` (lib) due to 1 previous error
""",
        Kind.COMPILE_ERROR,
        "error[E0308] mismatched types",
        ["error[E0308]: mismatched types", "--> src/cart.rs:12:20"],
    ),
    "cargo test": (
        f"""
{NOISE}
running 14 tests
test cart::tests::rounding ... FAILED
test cart::tests::empty ... ok

failures:

---- cart::tests::rounding stdout ----
thread 'cart::tests::rounding' panicked at src/cart.rs:88:9:
assertion `left == right` failed
  left: 999
 right: 1000

test result: FAILED. 13 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out
""",
        Kind.TEST_FAILURE,
        "1 test failed: cart::tests::rounding",
        ["panicked at src/cart.rs:88:9", "test result: FAILED"],
    ),
    "tsc": (
        f"""
{NOISE}
> tsc --noEmit -p .
src/api.ts(12,5): error TS2345: Argument of type 'string' is not assignable to parameter of type 'number'.
Found 1 error in src/api.ts:12
""",
        Kind.COMPILE_ERROR,
        "error TS2345 in src/api.ts:12: Argument of type 'string' is not assignable to parameter "
        "of type 'number'.",
        ["src/api.ts(12,5): error TS2345"],
    ),
    "eslint": (
        f"""
{NOISE}
/src/app/cart.ts
  12:7   error  'total' is assigned a value but never used  @typescript-eslint/no-unused-vars
  40:1   error  Unexpected console statement                 no-console

✖ 2 problems (2 errors, 0 warnings)
""",
        Kind.LINT_ERROR,
        None,
        ["/src/app/cart.ts", "no-unused-vars", "2 problems (2 errors, 0 warnings)"],
    ),
    "ruff": (
        f"""
{NOISE}
shop/cart.py:12:5: F841 Local variable `total` is assigned to but never used
shop/api.py:3:1: E402 Module level import not at top of file
Found 2 errors.
[*] 1 fixable with the `--fix` option.
""",
        Kind.LINT_ERROR,
        None,
        ["shop/cart.py:12:5: F841", "shop/api.py:3:1: E402", "Found 2 errors."],
    ),
    "mypy": (
        f"""
{NOISE}
shop/cart.py:12: error: Incompatible types in assignment (expression has type "str", variable has type "int")  [assignment]
Found 1 error in 1 file (checked 48 source files)
""",
        Kind.COMPILE_ERROR,
        None,
        ["shop/cart.py:12: error: Incompatible types", "Found 1 error in 1 file"],
    ),
    "maven": (
        f"""
{NOISE}
[INFO] BUILD FAILURE
[INFO] ------------------------------------------------------------------------
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.11.0:compile (default-compile) on project shop: Compilation failure
[ERROR] /src/main/java/com/acme/Cart.java:[42,17] cannot find symbol
[ERROR]   symbol:   method totl()
""",
        Kind.COMPILE_ERROR,
        None,
        ["BUILD FAILURE", "Cart.java:[42,17] cannot find symbol"],
    ),
    "gradle": (
        f"""
{NOISE}
> Task :app:test FAILED

CartTest > discountIsRounded() FAILED
    org.opentest4j.AssertionFailedError: expected: <10.0> but was: <9.99>
        at app//com.acme.CartTest.discountIsRounded(CartTest.java:31)

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':app:test'.
> There were failing tests. See the report at: file:///src/app/build/reports/tests/test/index.html
""",
        Kind.TEST_FAILURE,
        None,
        ["AssertionFailedError: expected: <10.0> but was: <9.99>", "What went wrong"],
    ),
    "java caused by": (
        f"""
{NOISE}
Exception in thread "main" java.lang.IllegalStateException: Failed to load ApplicationContext
	at org.springframework.test.context.cache.DefaultCacheAwareContextLoaderDelegate.loadContext(DefaultCacheAwareContextLoaderDelegate.java:180)
Caused by: org.postgresql.util.PSQLException: Connection to localhost:5432 refused.
	at org.postgresql.core.v3.ConnectionFactoryImpl.openConnectionImpl(ConnectionFactoryImpl.java:342)
""",
        Kind.NETWORK_OR_FLAKY,
        None,
        ["IllegalStateException", "Caused by: org.postgresql.util.PSQLException"],
    ),
    "npm eresolve": (
        f"""
{NOISE}
npm ERR! code ERESOLVE
npm ERR! ERESOLVE unable to resolve dependency tree
npm ERR! Found: react@18.3.1
npm ERR! Could not resolve dependency:
npm ERR! peer react@"^17.0.0" from react-beautiful-dnd@13.1.1
""",
        Kind.DEPENDENCY_INSTALL,
        None,
        ["npm ERR! code ERESOLVE", 'peer react@"^17.0.0"'],
    ),
    "pip": (
        f"""
{NOISE}
ERROR: Could not find a version that satisfies the requirement shoplib==9.9.9 (from versions: 1.0.0, 1.1.0)
ERROR: No matching distribution found for shoplib==9.9.9
""",
        Kind.DEPENDENCY_INSTALL,
        None,
        ["No matching distribution found for shoplib==9.9.9"],
    ),
    "docker buildkit": (
        f"""
{NOISE}
#9 [builder 4/6] RUN npm ci
#9 2.113 npm ERR! Missing script: "ci:prepare"
#9 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
------
 > [builder 4/6] RUN npm ci:
------
Dockerfile:12
--------------------
  12 | >>> RUN npm ci
--------------------
ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
""",
        Kind.CONTAINER_BUILD,
        None,
        ["failed to solve", "Dockerfile:12", 'Missing script: "ci:prepare"'],
    ),
    "kubectl rollout": (
        f"""
{NOISE}
Waiting for deployment "checkout" rollout to finish: 1 of 3 updated replicas are available...
error: deployment "checkout" exceeded its progress deadline
Warning  BackOff  pod/checkout-7d9c  Back-off restarting failed container
Last State:     Terminated
  Reason:       OOMKilled
  Exit Code:    137
""",
        Kind.TIMEOUT_OR_OOM,
        None,
        ["exceeded its progress deadline", "OOMKilled"],
    ),
    "helm": (
        f"""
{NOISE}
Error: UPGRADE FAILED: context deadline exceeded
""",
        Kind.TIMEOUT_OR_OOM,
        "UPGRADE FAILED: context deadline exceeded",
        ["Error: UPGRADE FAILED: context deadline exceeded"],
    ),
    "terraform": (
        f"""
{NOISE}
╷
│ Error: creating S3 Bucket (acme-logs): AccessDenied: Access Denied
│ 	status code: 403, request id: 8Q2F
│
│   with aws_s3_bucket.logs,
│   on main.tf line 12, in resource "aws_s3_bucket" "logs":
│   12: resource "aws_s3_bucket" "logs" {{
╵
""",
        Kind.PERMISSION_OR_SECRET,
        None,
        ["Error: creating S3 Bucket (acme-logs): AccessDenied", "main.tf line 12"],
    ),
    "make": (
        f"""
{NOISE}
gcc -O2 -c src/cart.c -o build/cart.o
src/cart.c:42:9: error: 'totl' undeclared (first use in this function)
make[1]: *** [Makefile:31: build/cart.o] Error 1
make: *** [Makefile:12: all] Error 2
""",
        Kind.COMPILE_ERROR,
        "error in src/cart.c:42: 'totl' undeclared (first use in this function)",
        ["src/cart.c:42:9: error: 'totl' undeclared", "make: *** [Makefile:12: all] Error 2"],
    ),
    "shell command not found": (
        f"""
{NOISE}
+ yarn build
/harness/run.sh: line 3: yarn: command not found
""",
        Kind.PIPELINE_CONFIG,
        None,
        ["yarn: command not found", "+ yarn build"],
    ),
    "shell permission denied": (
        f"""
{NOISE}
+ ./scripts/deploy.sh
/harness/run.sh: line 4: ./scripts/deploy.sh: Permission denied
""",
        Kind.PERMISSION_OR_SECRET,
        None,
        ["./scripts/deploy.sh: Permission denied"],
    ),
    "killed": (
        f"""
{NOISE}
[webpack] building 97% sealing asset processing
/harness/run.sh: line 5:    47 Killed                  node build.js
exit status 137
""",
        Kind.TIMEOUT_OR_OOM,
        None,
        ["Killed", "exit status 137"],
    ),
    "network": (
        f"""
{NOISE}
curl: (6) Could not resolve host: registry.acme.internal
Error: Process exited with code 6
""",
        Kind.NETWORK_OR_FLAKY,
        None,
        ["Could not resolve host: registry.acme.internal"],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_ecosystem_failure_is_located_named_and_kept(name: str) -> None:
    log, kind, headline, needed = CASES[name]
    got_kind, got_headline, text = shown(log)
    assert got_kind == kind
    if headline is not None:
        assert got_headline == headline
    assert got_headline
    assert len(text) <= MESSAGE_CHARS
    for fragment in needed:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    assert "Downloading dependency 100" not in text  # the noise before is left out


def test_github_style_timestamps_and_progress_frames_do_not_hide_the_failure() -> None:
    stamped = "\n".join(
        f"2026-04-19T17:12:{i % 60:02d}.{i:07d}Z [{i}/300] compiling\r[{i}/300] compiled"
        for i in range(300)
    )
    log = stamped + "\n2026-04-19T17:13:00.0000000Z Error: Process exited with code: 1\n"
    kind, headline, text = shown(log)
    assert headline == "Process exited with code: 1"
    assert "Error: Process exited with code: 1" in text
    assert "[299/300] compiled" in text  # the last CR frame of the line, stamp removed
    assert "2026-04-19T17:12:" not in text
    assert kind == Kind.UNKNOWN


def test_the_root_cause_outranks_the_failure_it_led_to() -> None:
    log = f"""
{NOISE}
fatal: detected dubious ownership in repository at '/harness'
{NOISE}
No tests found, exiting with code 1
Tests: 0 total
"""
    kind, headline, text = shown(log)
    assert kind == Kind.PERMISSION_OR_SECRET
    assert headline == "fatal: detected dubious ownership in repository at '/harness'"
    assert "dubious ownership" in text
    assert "No tests found" in text
