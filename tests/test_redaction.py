"""Redaction: each credential kind with a realistic leak, and ordinary text left alone."""

from __future__ import annotations

import pytest

from bot.excerpt.redaction import Redactor

R = Redactor(
    ["pat.acc8Hd72kLmQ0pZx1yVw2A.65f0c2a1b3.Zk8s7dLq2wXnVb4", "xoxb-configured-000000000000"]
)


@pytest.mark.parametrize(
    ("line", "kind", "secret"),
    [
        (
            "export HARNESS_TOKEN=pat.kmpySmUISimoRrJL6NL73w.6471a2a8b9c3.Aq1Zx9Wv8Ut7Sr6Qp5On",
            "harness_token",
            "Aq1Zx9Wv8Ut7Sr6Qp5On",
        ),
        (
            "using sat.kmpySmUISimoRrJL6NL73w.65f0c2aa77.Bb2Cc3Dd4Ee5Ff6Gg7Hh",
            "harness_token",
            "Bb2Cc3Dd4Ee5Ff6Gg7Hh",
        ),
        (
            "curl -d token=xoxb-2222222222-3333333333-AbCdEfGhIjKlMnOpQrStUvWx",
            "slack_token",
            "AbCdEfGhIjKlMnOpQrStUvWx",
        ),
        (
            "SLACK_USER=xoxp-1234567890-0987654321-1122334455-abcdef0123456789abcdef0123456789",
            "slack_token",
            "abcdef0123456789",
        ),
        (
            "app token xapp-1-A0123456789-1111111111-0123456789abcdef0123456789abcdef",
            "slack_token",
            "0123456789abcdef0123456789abcdef",
        ),
        (
            "git clone https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/app",
            "github_token",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        (
            "GH_TOKEN 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 in env",
            "github_token",
            "wWPw5k4aXcaT4fNP0UcnZwJUVFk6LO0pINUx",
        ),
        (
            "gho_16C7e42F292c6912E7710c838347Ae178B4a ok",
            "github_token",
            "gho_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        (
            "ghu_16C7e42F292c6912E7710c838347Ae178B4a ok",
            "github_token",
            "ghu_16C7e42F292c6912E7710c838347Ae178B4a",
        ),
        (
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTU",
            "github_token",
            "abcdefghijklmnopqrstuvwxyz",
        ),
        (
            "docker login -p glpat-xxxxxxxxxxxxxxxxxxxx registry.gitlab.com",
            "gitlab_token",
            "glpat-xxxxxxxxxxxxxxxxxxxx",
        ),
        ("AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "aws_access_key_id", "AKIAIOSFODNN7EXAMPLE"),
        ("session ASIAY34FZKBOKMUTVV7A expires", "aws_access_key_id", "ASIAY34FZKBOKMUTVV7A"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        (
            "maps key=AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
            "google_api_key",
            "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
        ),
        (
            "id_token: eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            "jwt",
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
        ),
        (
            "> Authorization: Bearer 0b79bab50daca910b000d4f1a2b675d604257e42",
            "authorization",
            "0b79bab50daca910b000d4f1a2b675d604257e42",
        ),
        ('-H "authorization: Basic dXNlcjpodW50ZXIy"', "authorization", "dXNlcjpodW50ZXIy"),
        (
            "pushing to https://deploy:hunter2pass@registry.acme.test/v2/app",
            "url_credentials",
            "hunter2pass",
        ),
        ("DB_PASSWORD=Tr0ub4dor&3", "secret", "Tr0ub4dor"),
        ("client_secret: 'c1i3nt-s3cr3t-v4lu3'", "secret", "c1i3nt-s3cr3t-v4lu3"),
        ('{"api_key": "k-9f8e7d6c5b4a"}', "secret", "k-9f8e7d6c5b4a"),
        ("--passwd s3cr3tpw", "cli_password", "s3cr3tpw"),
        ("deploy --password 'Two Words' --yes", "cli_password", "Two Words"),
        ("mysql -uroot -pS3cr3tPw -h db.acme.test", "cli_password", "S3cr3tPw"),
        ("curl -u deploy:hunter2pass https://nexus.acme.test", "cli_password", "hunter2pass"),
        (
            '{"auths":{"registry.acme.test":{"auth":"ZGVwbG95Omh1bnRlcjJwYXNz"}}}',
            "docker_auth",
            "ZGVwbG95Omh1bnRlcjJwYXNz",
        ),
        (
            '{\\"auths\\":{\\"r.io\\":{\\"auth\\":\\"ZGVwbG95Omh1bnRlcjJwYXNz\\"}}}',
            "docker_auth",
            "ZGVwbG95Omh1bnRlcjJwYXNz",
        ),
        ('payload {\\"password\\":\\"s3cretValue\\"}', "secret", "s3cretValue"),
        (
            "DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=bXlTZWNyZXRLZXlWYWx1ZQ==;",
            "azure_key",
            "bXlTZWNyZXRLZXlWYWx1ZQ",
        ),
        (
            "GET https://acme.blob.core.windows.net/logs?sv=2022-11-02&sig=Zm9vYmFy%2BYmF6cXV4MTIz%3D&se=x",
            "azure_sas",
            "Zm9vYmFy%2BYmF6cXV4MTIz",
        ),
        ("POST body grant_type=x&client_secret%3Dabc123def456", "secret", "abc123def456"),
        ("q=%22password%22%3A%22hunter2pass%22", "secret", "hunter2pass"),
        (
            "notify https://hooks.slack.com/services/T0ACME0000/B0ACME0000/AbCdEfGhIjKlMnOpQrStUvWx",
            "slack_webhook",
            "AbCdEfGhIjKlMnOpQrStUvWx",
        ),
        ("STRIPE=sk_live_4eC39HqLyjWDarjtT1zdp7dc", "stripe_key", "4eC39HqLyjWDarjtT1zdp7dc"),
        (
            "sending Bearer 0b79bab50daca910b000d4f1 upstream",
            "bearer_token",
            "0b79bab50daca910b000d4f1",
        ),
        (
            "connect postgres://app:p@ss@w0rd@db.acme.test:5432/shop",
            "url_credentials",
            "ss@w0rd",
        ),
        (
            "SENDGRID=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",
            "sendgrid_api_key",
            "TwL2iGABf9DHoTf",
        ),
        (
            "NPM_TOKEN=npm_abcdefghijklmnopqrstuvwxyz0123456789",
            "secret",
            "npm_abcdefghijklmnopqrstuvwxyz0123456789",
        ),
        (
            "header x-api-key: pat.acc8Hd72kLmQ0pZx1yVw2A.65f0c2a1b3.Zk8s7dLq2wXnVb4",
            "configured",
            "Zk8s7dLq2wXnVb4",
        ),
        ("echo xoxb-configured-000000000000", "configured", "xoxb-configured-000000000000"),
    ],
)
def test_each_kind_of_leak_is_redacted(line: str, kind: str | None, secret: str | None) -> None:
    out = R.redact(line)
    if kind is None:
        assert out == line
        return
    assert f"[REDACTED:{kind}]" in out, out
    assert secret is not None
    assert secret not in out


def test_a_value_on_the_line_after_its_name_is_hidden() -> None:
    out = list(R.redact_lines(["  DB_PASSWORD:", "    Tr0ub4dor3xyz", "next: value"]))
    assert out[0] == "  DB_PASSWORD:"
    assert "Tr0ub4dor3xyz" not in out[1]
    assert "[REDACTED:secret]" in out[1]
    assert out[2] == "next: value"


def test_colour_codes_between_a_name_and_its_value_do_not_hide_it() -> None:
    from bot.excerpt import clean_message

    for noise in ("\x1b(B", "\x1b[0m", "\x1b[1;31m", "\x1b]8;;\x07"):
        text = clean_message(f"password{noise}=Sup3rSecretPw failed", R)
        assert "Sup3rSecretPw" not in text
        assert "[REDACTED:secret]" in text


def test_pem_private_keys_are_hidden_across_lines() -> None:
    lines = [
        "writing key file",
        "-----BEGIN RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK",
        "-----END RSA PRIVATE KEY----- written",
        "next step",
    ]
    out = list(R.redact_lines(lines))
    assert out[0] == "writing key file"
    assert all("MIIE" not in line and "VTLw" not in line for line in out)
    assert out[1:4] == ["[REDACTED:pem]"] * 3
    assert out[4] == "[REDACTED:pem] written"
    assert out[5] == "next step"
    one_line = "key -----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXk\\n-----END OPENSSH PRIVATE KEY----- done"
    assert R.redact(one_line) == "key [REDACTED:pem] done"


@pytest.mark.parametrize(
    "line",
    [
        "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 Merge pull request #42",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "Digest: sha256:3fd9065eaf02feaf94d68376da52541925650b81698c53c6824d92ff63f98353",
        "request id 123e4567-e89b-12d3-a456-426614174000 done",
        "image data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
        "npm ERR! code ELIFECYCLE",
        "tokenizer=fast password_policy_url: docs secrets: 0 found",
        "Step 3/12 : RUN make build",
        "password: ******** (masked by Harness)",
        "token: [REDACTED:slack_token]",
        "https://github.com/acme/app/commit/9fceb02d0ae598e95dc970b74767f19372d61af8",
        "AKIA in a sentence is just a word",
    ],
)
def test_ordinary_log_text_is_left_alone(line: str) -> None:
    assert R.redact(line) == line
