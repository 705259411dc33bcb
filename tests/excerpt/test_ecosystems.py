"""Failure shapes of more ecosystems, each log written here from the tool's documented
output format (not copied from any corpus): the failing test or target, its message,
file and line, the summary and the exit line must be in the in-message excerpt, and the
failure kind must be right or silent (`Kind.UNKNOWN`): a wrong kind in every post
sends people the wrong way, so where the evidence is mixed the kind says nothing.
"""

from __future__ import annotations

import pytest

from bot.excerpt import MESSAGE_CHARS, MESSAGE_LINE_CHARS, Kind, excerpt_of
from bot.excerpt.redaction import Redactor
from tests.excerpt.logs import ci_log

NOISE = "\n".join(f"Fetching module {i} of 300 (from cache)" for i in range(300))


def shown(log: str) -> tuple[Kind, str | None, str]:
    excerpt = excerpt_of([ci_log(log)], Redactor())
    return excerpt.kind, excerpt.headline, excerpt.render(MESSAGE_CHARS, MESSAGE_LINE_CHARS)


# name: (log, kind, fragments the message must show, fragments it must not show)
CASES: dict[str, tuple[str, Kind, list[str], list[str]]] = {
    "minitest": (
        f"""
{NOISE}
# Running:

..........F....

Finished in 0.412312s, 36.3 runs/s, 72.7 assertions/s.

  1) Failure:
CartTest#test_total_applies_discount [test/cart_test.rb:14]:
Expected: 10.0
  Actual: 9.99

15 runs, 30 assertions, 1 failures, 0 errors, 0 skips
rake aborted!
Command failed with status (1)
""",
        Kind.TEST_FAILURE,
        [
            "CartTest#test_total_applies_discount [test/cart_test.rb:14]",
            "Actual: 9.99",
            "15 runs, 30 assertions, 1 failures",
        ],
        [],
    ),
    "rspec": (
        f"""
{NOISE}
Randomized with seed 4242
..F.....

Failures:

  1) Cart#total applies the discount
     Failure/Error: expect(cart.total).to eq(10.0)

       expected: 10.0
            got: 9.99

       (compared using ==)
     # ./spec/cart_spec.rb:12:in `block (3 levels) in <top (required)>'

Finished in 0.05 seconds (files took 0.4 seconds to load)
8 examples, 1 failure

Failed examples:

rspec ./spec/cart_spec.rb:10 # Cart#total applies the discount
""",
        Kind.TEST_FAILURE,
        [
            "Failure/Error: expect(cart.total).to eq(10.0)",
            "got: 9.99",
            "./spec/cart_spec.rb:12",
            "8 examples, 1 failure",
            "rspec ./spec/cart_spec.rb:10 # Cart#total applies the discount",
        ],
        [],
    ),
    "sbt compile": (
        f"""
{NOISE}
[info] compiling 12 Scala sources to /src/target/scala-3.3.1/classes ...
[error] -- [E007] Type Mismatch Error: /src/main/scala/shop/Cart.scala:12:20
[error] 12 |  val total: Int = price * 1.5
[error]    |                   ^^^^^^^^^^^
[error]    |                   Found:    Double
[error]    |                   Required: Int
[error] one error found
[error] (Compile / compileIncremental) Compilation failed
[error] Total time: 9 s, completed 4 Dec 2026, 10:00:01
""",
        Kind.COMPILE_ERROR,
        [
            "Type Mismatch Error: /src/main/scala/shop/Cart.scala:12:20",
            "Required: Int",
            "(Compile / compileIncremental) Compilation failed",
        ],
        [],
    ),
    "sbt test": (
        f"""
{NOISE}
[info] CartSpec:
[info] Cart
[info] - should apply the discount *** FAILED ***
[info]   9.99 did not equal 10.0 (CartSpec.scala:14)
[info] - should be empty at first
[info] Run completed in 412 milliseconds.
[info] Total number of tests run: 12
[info] Tests: succeeded 11, failed 1, canceled 0, ignored 0, pending 0
[info] *** 1 TEST FAILED ***
[error] Failed tests:
[error] \tshop.CartSpec
[error] (Test / test) sbt.TestsFailedException: Tests unsuccessful
[error] Total time: 14 s, completed 4 Dec 2026, 10:00:01
""",
        Kind.TEST_FAILURE,
        [
            "should apply the discount *** FAILED ***",
            "9.99 did not equal 10.0 (CartSpec.scala:14)",
            "sbt.TestsFailedException: Tests unsuccessful",
        ],
        [],
    ),
    "exunit": (
        f"""
{NOISE}
Running ExUnit with seed: 4242, max_cases: 4

.....

  1) test total applies the discount (Shop.CartTest)
     test/shop/cart_test.exs:12
     Assertion with == failed
     code:  assert Cart.total(cart) == 10.0
     left:  9.99
     right: 10.0
     stacktrace:
       test/shop/cart_test.exs:14: (test)

.......
Finished in 0.1 seconds (0.05s async, 0.05s sync)
13 tests, 1 failure
""",
        Kind.TEST_FAILURE,
        [
            "1) test total applies the discount (Shop.CartTest)",
            "Assertion with == failed",
            "left:  9.99",
            "test/shop/cart_test.exs:12",
            "13 tests, 1 failure",
        ],
        [],
    ),
    "mix compile": (
        f"""
{NOISE}
Compiling 14 files (.ex)

== Compilation error in file lib/shop/cart.ex ==
** (CompileError) lib/shop/cart.ex:12: undefined function totl/1 (expected Shop.Cart to define such a function)
    (elixir 1.15.7) expanding macro: Kernel.|>/2
""",
        Kind.COMPILE_ERROR,
        [
            "== Compilation error in file lib/shop/cart.ex ==",
            "** (CompileError) lib/shop/cart.ex:12: undefined function totl/1",
        ],
        [],
    ),
    "erlang common_test": (
        f"""
{NOISE}
===> Running Common Test suites...
%%% cart_SUITE ==> total: FAILED
%%% cart_SUITE ==> {{{{badmatch,9.99}},[{{cart_SUITE,total,1,[{{file,"test/cart_SUITE.erl"}},{{line,21}}]}}]}}
%%% cart_SUITE: .....
Failed 1 tests. Passed 11 tests.
Results written to "/src/_build/test/logs/index.html".
===> Failures occurred running tests: 1
""",
        Kind.TEST_FAILURE,
        [
            "cart_SUITE ==> total: FAILED",
            "badmatch,9.99",
            "Failed 1 tests. Passed 11 tests.",
            "Failures occurred running tests: 1",
        ],
        [],
    ),
    "eunit": (
        f"""
{NOISE}
======================== EUnit ========================
module 'cart_tests'
  cart_tests: total_test...*failed*
in function cart_tests:'-total_test/0-fun-0-'/0 (test/cart_tests.erl, line 12)
**error:{{assertEqual,[{{module,cart_tests}},{{line,12}},{{expression,"cart:total(C)"}},{{expected,10.0}},{{value,9.99}}]}}
  output:<<"">>

=======================================================
  Failed: 1.  Skipped: 0.  Passed: 11.
""",
        Kind.TEST_FAILURE,
        ["total_test...*failed*", "(test/cart_tests.erl, line 12)", "Failed: 1."],
        [],
    ),
    "go test with a panic": (
        f"""
{NOISE}
=== RUN   TestCheckout
--- FAIL: TestCheckout (0.00s)
panic: runtime error: index out of range [3] with length 3 [recovered]
\tpanic: runtime error: index out of range [3] with length 3

goroutine 21 [running]:
testing.tRunner.func1.2({{0x5d6a40, 0xc0000a8018}})
\t/usr/local/go/src/testing/testing.go:1545 +0x238
github.com/acme/shop/cart.Total(...)
\t/src/cart/cart.go:41
github.com/acme/shop/cart.TestCheckout(0xc000007a00)
\t/src/cart/cart_test.go:17 +0x2b
FAIL\tgithub.com/acme/shop/cart\t0.014s
FAIL
""",
        Kind.TEST_FAILURE,
        [
            "--- FAIL: TestCheckout",
            "panic: runtime error: index out of range [3] with length 3",
            "/src/cart/cart.go:41",
            "FAIL\tgithub.com/acme/shop/cart\t0.014s",
        ],
        [],
    ),
    "go test timeout": (
        f"""
{NOISE}
=== RUN   TestSync
panic: test timed out after 10m0s
\trunning tests:
\t\tTestSync (10m0s)

goroutine 34 [select]:
github.com/acme/shop/sync.TestSync(0xc000102340)
\t/src/sync/sync_test.go:55 +0x1f4
FAIL\tgithub.com/acme/shop/sync\t600.021s
FAIL
""",
        Kind.TIMEOUT_OR_OOM,
        ["panic: test timed out after 10m0s", "TestSync", "sync_test.go:55"],
        [],
    ),
    "cabal ghc": (
        f"""
{NOISE}
Building library for shop-0.1.0.0..
[2 of 5] Compiling Shop.Cart        ( src/Shop/Cart.hs, dist-newstyle/build/Shop/Cart.o )

src/Shop/Cart.hs:12:20: error: [GHC-83865]
    • Couldn't match expected type ‘Int’ with actual type ‘Double’
    • In the expression: price * 1.5
      In an equation for ‘total’: total = price * 1.5
   |
12 | total = price * 1.5
   |         ^^^^^^^^^^^
Error: cabal: Failed to build shop-0.1.0.0.
""",
        Kind.COMPILE_ERROR,
        [
            "src/Shop/Cart.hs:12:20: error:",
            "Couldn't match expected type ‘Int’ with actual type ‘Double’",
            "Failed to build shop-0.1.0.0",
        ],
        [],
    ),
    "stack hspec": (
        f"""
{NOISE}
shop> test (suite: shop-test)

Cart
  total
    applies the discount FAILED [1]

Failures:

  test/CartSpec.hs:14:5:
  1) Cart.total applies the discount
       expected: 10.0
        but got: 9.99

  To rerun use: --match "/Cart/total/applies the discount/"

Randomized with seed 4242

Finished in 0.0012 seconds
12 examples, 1 failure

shop> Test suite shop-test failed
Error: [S-7282]
       Stack failed to execute the build plan.
""",
        Kind.TEST_FAILURE,
        ["test/CartSpec.hs:14:5", "but got: 9.99", "12 examples, 1 failure"],
        [],
    ),
    "xcodebuild": (
        f"""
{NOISE}
CompileSwift normal arm64 /src/Shop/Cart.swift (in target 'Shop' from project 'Shop')
/src/Shop/Cart.swift:12:22: error: cannot convert value of type 'Double' to specified type 'Int'
        let total: Int = price * 1.5
                         ^~~~~~~~~~~

The following build commands failed:
\tCompileSwift normal arm64 /src/Shop/Cart.swift (in target 'Shop' from project 'Shop')
(1 failure)
** BUILD FAILED **
""",
        Kind.COMPILE_ERROR,
        [
            "/src/Shop/Cart.swift:12:22: error: cannot convert value of type 'Double'",
            "The following build commands failed:",
            "** BUILD FAILED **",
        ],
        [],
    ),
    "xctest": (
        f"""
{NOISE}
Test Suite 'CartTests' started at 2026-12-04 10:00:00.000
Test Case '-[ShopTests.CartTests testTotal]' started.
/src/ShopTests/CartTests.swift:14: error: -[ShopTests.CartTests testTotal] : XCTAssertEqual failed: ("9.99") is not equal to ("10.0")
Test Case '-[ShopTests.CartTests testTotal]' failed (0.002 seconds).
Test Suite 'CartTests' failed at 2026-12-04 10:00:00.010.
\t Executed 12 tests, with 1 failure (0 unexpected) in 0.010 (0.012) seconds
** TEST FAILED **
""",
        Kind.TEST_FAILURE,
        [
            'XCTAssertEqual failed: ("9.99") is not equal to ("10.0")',
            "CartTests.swift:14",
            "Executed 12 tests, with 1 failure",
        ],
        [],
    ),
    "ctest": (
        f"""
{NOISE}
      Start  3: cart_test
 3/4 Test  #3: cart_test ........................***Failed    0.02 sec
      Start  4: net_test
 4/4 Test  #4: net_test .........................   Passed    0.01 sec

75% tests passed, 1 tests failed out of 4

Total Test time (real) =   0.08 sec

The following tests FAILED:
\t  3 - cart_test (Failed)
Errors while running CTest
""",
        Kind.TEST_FAILURE,
        [
            "cart_test ........................***Failed",
            "1 tests failed out of 4",
            "The following tests FAILED:",
            "3 - cart_test (Failed)",
        ],
        [],
    ),
    "cmake configure": (
        f"""
{NOISE}
-- The CXX compiler identification is GNU 13.2.0
CMake Error at CMakeLists.txt:14 (find_package):
  By not providing "Findfmt.cmake" in CMAKE_MODULE_PATH this project has
  asked CMake to find a package configuration file provided by "fmt", but
  CMake did not find one.

-- Configuring incomplete, errors occurred!
""",
        Kind.UNKNOWN,  # a missing package or a wrong path: the log alone does not say
        ["CMake Error at CMakeLists.txt:14 (find_package):", "Configuring incomplete"],
        [],
    ),
    "pre-commit": (
        f"""
{NOISE}
check yaml...............................................................Passed
trim trailing whitespace.................................................Passed
black....................................................................Failed
- hook id: black
- files were modified by this hook

reformatted src/shop/cart.py

All done! ✨ 🍰 ✨
1 file reformatted, 41 files left unchanged.

flake8...................................................................Passed
""",
        Kind.LINT_ERROR,
        [
            "black....................................................................Failed",
            "- hook id: black",
            "files were modified by this hook",
            "reformatted src/shop/cart.py",
        ],
        [],
    ),
    "spotless": (
        f"""
{NOISE}
> Task :app:spotlessJavaCheck FAILED

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':app:spotlessJavaCheck'.
> The following files had format violations:
      src/main/java/com/acme/Cart.java
          @@ -12,7 +12,7 @@
          -\tint·total=0;
          +\tint·total·=·0;
  Run './gradlew :app:spotlessApply' to fix these violations.

* Try:
> Run with --stacktrace option to get the stack trace.
> Run with --info or --debug option to get more log output.
> Run with --scan to get full insights.
> Get more help at https://help.gradle.org.

BUILD FAILED in 4s
""",
        Kind.LINT_ERROR,
        [
            "Execution failed for task ':app:spotlessJavaCheck'.",
            "The following files had format violations:",
            "src/main/java/com/acme/Cart.java",
        ],
        [],
    ),
    "prettier --check": (
        f"""
{NOISE}
$ prettier --check "src/**/*.{{ts,tsx}}"
Checking formatting...
[warn] src/cart/Cart.tsx
[warn] src/api/client.ts
[warn] Code style issues found in 2 files. Run Prettier with --write to fix.
error Command failed with exit code 1.
""",
        Kind.LINT_ERROR,
        ["[warn] src/cart/Cart.tsx", "[warn] src/api/client.ts", "Code style issues found"],
        [],
    ),
    "gofmt": (
        f"""
{NOISE}
+ test -z "$(gofmt -l .)" || (gofmt -d . && exit 1)
diff -u cart/cart.go.orig cart/cart.go
--- cart/cart.go.orig
+++ cart/cart.go
@@ -12,3 +12,3 @@
-func Total(items []Item)float64 {{
+func Total(items []Item) float64 {{
exit status 1
""",
        Kind.UNKNOWN,  # gofmt says nothing of its own: the kind stays silent
        ["gofmt -d", "cart/cart.go"],
        [],
    ),
    "rustfmt": (
        f"""
{NOISE}
+ cargo fmt --all -- --check
Diff in /src/shop/src/cart.rs at line 12:
 pub fn total(items: &[Item]) -> f64 {{
-    items.iter().map(|i|i.price).sum()
+    items.iter().map(|i| i.price).sum()
 }}
""",
        Kind.LINT_ERROR,
        ["Diff in /src/shop/src/cart.rs at line 12:"],
        [],
    ),
    "gradle compile": (
        f"""
{NOISE}
> Task :app:compileJava FAILED
/src/app/src/main/java/com/acme/Cart.java:42: error: cannot find symbol
        return totl(items);
               ^
  symbol:   method totl(List<Item>)
  location: class Cart
1 error

FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':app:compileJava'.
> Compilation failed; see the compiler error output for details.

* Try:
> Run with --stacktrace option to get the stack trace.
> Run with --info or --debug option to get more log output.
> Run with --scan to get full insights.
> Get more help at https://help.gradle.org.

BUILD FAILED in 7s
""",
        Kind.COMPILE_ERROR,
        [
            "Cart.java:42: error: cannot find symbol",
            "symbol:   method totl(List<Item>)",
            "Execution failed for task ':app:compileJava'.",
        ],
        [],
    ),
    "npm audit": (
        f"""
{NOISE}
# npm audit report

lodash  <4.17.21
Severity: high
Command Injection in lodash - https://github.com/advisories/GHSA-35jh-r3h4-6jhm
fix available via `npm audit fix`
node_modules/lodash

1 high severity vulnerability

To address all issues, run:
  npm audit fix
""",
        Kind.UNKNOWN,  # a vulnerable package is none of the kinds: silent, not "dependency"
        ["Command Injection in lodash", "1 high severity vulnerability"],
        [],
    ),
    "cargo audit": (
        f"""
{NOISE}
    Scanning Cargo.lock for vulnerabilities (212 crate dependencies)
Crate:     time
Version:   0.1.45
Title:     Potential segfault in the time crate
ID:        RUSTSEC-2020-0071
Solution:  Upgrade to >=0.2.23
error: 1 vulnerability found!
""",
        Kind.UNKNOWN,
        ["RUSTSEC-2020-0071", "error: 1 vulnerability found!"],
        [],
    ),
    "jest timeout": (
        f"""
{NOISE}
FAIL src/sync/sync.test.ts (6.2 s)
  ● Sync › uploads the cart

    thrown: "Exceeded timeout of 5000 ms for a test.
    Add a timeout value to this test to increase the timeout, if this is a long-running test. See https://jestjs.io/docs/api#testname-fn-timeout."

      12 | describe("Sync", () => {{
    > 13 |   it("uploads the cart", async () => {{
         |   ^

      at it (src/sync/sync.test.ts:13:3)

Tests:       1 failed, 40 passed, 41 total
""",
        Kind.TIMEOUT_OR_OOM,
        ["Sync › uploads the cart", "Exceeded timeout of 5000 ms for a test.", "1 failed"],
        [],
    ),
    "mocha timeout": (
        f"""
{NOISE}
  Sync
    1) uploads the cart
    ✔ reads the cart


  1 passing (2s)
  1 failing

  1) Sync
       uploads the cart:
     Error: Timeout of 2000ms exceeded. For async tests and hooks, ensure "done()" is called; if returning a Promise, ensure it resolves. (/src/test/sync.test.js)
      at listOnTimeout (node:internal/timers:573:17)
""",
        Kind.TIMEOUT_OR_OOM,
        ["Error: Timeout of 2000ms exceeded.", "1 failing", "uploads the cart"],
        [],
    ),
    "segfault in a test run": (
        f"""
{NOISE}
tests/test_sort.py::test_argsort_nat PASSED                              [ 41%]
tests/test_sort.py::test_argsort_stable
Fatal Python error: Segmentation fault

Current thread 0x00007f3a1b2c3740 (most recent call first):
  File "/src/shop/sort.py", line 88 in argsort
  File "/src/tests/test_sort.py", line 31 in test_argsort_stable
/harness/run.sh: line 3:  4242 Segmentation fault      (core dumped) python -m pytest tests
Error: Process completed with exit code 139.
""",
        Kind.UNKNOWN,  # a crash: neither a compile error nor a plain test failure
        [
            "Fatal Python error: Segmentation fault",
            "tests/test_sort.py::test_argsort_stable",
            'File "/src/shop/sort.py", line 88 in argsort',
            "exit code 139",
        ],
        [],
    ),
    "pip install network": (
        f"""
{NOISE}
Collecting requests==2.32.3
  WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPSConnection object at 0x7f>: Failed to establish a new connection: [Errno 101] Network is unreachable')': /simple/requests/
ERROR: Could not find a version that satisfies the requirement requests==2.32.3 (from versions: none)
ERROR: No matching distribution found for requests==2.32.3
""",
        Kind.UNKNOWN,  # the network broke a dependency install: either kind reads right
        ["Network is unreachable", "No matching distribution found for requests==2.32.3"],
        [],
    ),
    "npm install network": (
        f"""
{NOISE}
npm ERR! code ETIMEDOUT
npm ERR! syscall connect
npm ERR! errno ETIMEDOUT
npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: connect ETIMEDOUT 104.16.0.35:443
npm ERR! network This is a problem related to network connectivity.
npm ERR! network In most cases you are behind a proxy or have bad network settings.
""",
        Kind.NETWORK_OR_FLAKY,
        ["npm ERR! code ETIMEDOUT", "network request to https://registry.npmjs.org/left-pad"],
        [],
    ),
    "maven download network": (
        f"""
{NOISE}
[INFO] BUILD FAILURE
[ERROR] Failed to execute goal on project shop: Could not resolve dependencies for project com.acme:shop:jar:1.0: Failed to collect dependencies at com.acme:lib:jar:2.1: Failed to read artifact descriptor for com.acme:lib:jar:2.1: Could not transfer artifact com.acme:lib:pom:2.1 from/to central (https://repo.maven.apache.org/maven2): Connect to repo.maven.apache.org:443 [repo.maven.apache.org/151.101.0.215] failed: Connect timed out -> [Help 1]
[ERROR]
[ERROR] To see the full stack trace of the errors, re-run Maven with the -e switch.
[ERROR] Re-run Maven using the -X switch to enable full debug logging.
[ERROR]
[ERROR] For more information about the errors and possible solutions, please read the following articles:
[ERROR] [Help 1] http://cwiki.apache.org/confluence/display/MAVEN/DependencyResolutionException
""",
        Kind.UNKNOWN,  # network or dependency: both read right, so neither is said
        ["Connect timed out", "Could not resolve dependencies for project com.acme:shop"],
        [],
    ),
    "travis boilerplate": (
        f"""
{NOISE}
$ bundle exec rake test
Run options: --seed 4242
  1) Error:
CartTest#test_checkout:
NoMethodError: undefined method `totl' for an instance of Cart
    app/models/cart.rb:12:in `checkout'
    test/cart_test.rb:8:in `test_checkout'

15 runs, 29 assertions, 0 failures, 1 errors, 0 skips
The command "bundle exec rake test" exited with 1.

Done. Your build exited with 1.
""",
        Kind.TEST_FAILURE,
        ["NoMethodError: undefined method `totl'", "app/models/cart.rb:12", "1 errors"],
        [],
    ),
    "a word in a branch name": (
        f"""
{NOISE}
From https://github.com/acme/shop
 * [new branch]      fix-forbidden-words -> origin/fix-forbidden-words
 * [new branch]      cache-timeout-tweak -> origin/cache-timeout-tweak
fatal: No tags can describe '0f3c1e2a9b8d7c6e5f4a3b2c1d0e9f8a7b6c5d4e'.
##[error]Process completed with exit code 128.
""",
        Kind.UNKNOWN,
        ["fatal: No tags can describe"],
        [],
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_shape_is_kept_and_its_kind_is_right_or_silent(name: str) -> None:
    log, kind, needed, unwanted = CASES[name]
    got_kind, headline, text = shown(log)
    assert len(text) <= MESSAGE_CHARS
    for fragment in needed:
        assert fragment in text, f"{fragment!r} missing from:\n{text}"
    for fragment in unwanted:
        assert fragment not in text
    assert headline
    assert got_kind == kind, f"{got_kind} (headline {headline!r})"


def test_ci_boilerplate_is_not_the_headline() -> None:
    log = f"""
{NOISE}
Error: src/cart.c:42:9: 'totl' undeclared (first use in this function)
{NOISE}
The command "make" exited with 2.
##[error]Process completed with exit code 2.
"""
    _kind, headline, text = shown(log)
    assert headline is not None
    assert "totl" in headline
    assert "exited with 2" in text  # the exit line still says how it ended


WORDS = ("rounding", "empty", "currency", "overflow", "guest", "member", "expired", "bulk")


def test_the_first_failure_is_shown_whole_and_each_further_one_in_a_line() -> None:
    names = [f"{a}_{b}" for a in ("total", "refund", "tax", "coupon", "stock") for b in WORDS]
    blocks = "\n".join(
        f"""  {n}) Failure:
CartTest#test_{name} [test/cart_test.rb:{10 + n}]:
Expected: {n}
  Actual: {n + 1}
"""
        for n, name in enumerate(names, start=1)
    )
    log = f"{NOISE}\n{blocks}\n40 runs, 40 assertions, 40 failures, 0 errors, 0 skips\n"
    kind, _headline, text = shown(log)
    assert kind == Kind.TEST_FAILURE
    first = [f"CartTest#test_{names[0]} [test/cart_test.rb:11]:", "Expected: 1", "Actual: 2"]
    for fragment in first:
        assert fragment in text  # the first block whole
    further = sum(f"CartTest#test_{name} [" in text for name in names[1:])
    assert further >= 20  # then many more failures, a line each
    assert "40 runs, 40 assertions, 40 failures" in text
    assert len(text) > MESSAGE_CHARS - 300  # the room is used
