"""A corpus of the forms in which build logs leak secrets, one small log per form.

Each form is what a step printed, next to the failure it led to, so the printed
lines are in the excerpt; `secret` lists what must never be shown, `shown` what of
the same line must be (so a form that drops out of the excerpt fails instead of
passing by saying nothing). Values are made up here, with each format's prefix,
alphabet and length, from a fixed seed.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
LOWER = "abcdefghijklmnopqrstuvwxyz0123456789"
HEX = "0123456789abcdef"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "-_"


def tok(seed: str, length: int, alphabet: str = ALNUM) -> str:
    """`length` characters of `alphabet`, the same for the same seed."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:length])


def key_lines(seed: str, count: int = 8) -> list[str]:
    """The body of a PEM private key: 64 base64 characters a line."""
    return [tok(f"{seed}{i}", 64, B64) for i in range(count)]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@dataclass(frozen=True)
class Form:
    name: str
    lines: tuple[str, ...]
    secret: tuple[str, ...]
    shown: str


def form(name: str, lines: list[str] | str, secret: str | tuple[str, ...], shown: str) -> Form:
    return Form(
        name,
        tuple([lines] if isinstance(lines, str) else lines),
        (secret,) if isinstance(secret, str) else secret,
        shown,
    )


def pem(kind: str, seed: str, prefix: str = "", count: int = 8) -> list[str]:
    body = key_lines(seed, count)
    return [
        f"{prefix}-----BEGIN {kind}-----",
        *(prefix + line for line in body),
        f"{prefix}-----END {kind}-----",
    ]


_RSA = key_lines("rsa", 12)
_TOKEN = "ghp_" + tok("b64-token", 36)
_K8S_KEY = b64("-----BEGIN PRIVATE KEY-----\n" + "\n".join(key_lines("k8s", 4)) + "\n")
_DOCKERCONFIG = b64(
    '{"auths":{"registry.acme.test":{"username":"ci","password":"DockerCfgPw-'
    + tok("dc", 12)
    + '"}}}'
)
_AWS_FILE = b64(
    "[default]\naws_access_key_id = AKIA"
    + tok("awsf", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    + "\naws_secret_access_key = "
    + tok("awsfs", 40, B64)
    + "\n"
)

FORMS: tuple[Form, ...] = (
    # -- short password flags -----------------------------------------------------
    form(
        "docker login -p",
        "+ docker login -u ci -p DkrL0gin-" + tok("dl", 10) + " registry.acme.test",
        "DkrL0gin-" + tok("dl", 10),
        "docker login -u ci -p [REDACTED",
    ),
    form(
        "podman login -p",
        "podman login --username ci -p PodL0gin" + tok("pl", 10) + " quay.io",
        "PodL0gin" + tok("pl", 10),
        "podman login --username ci -p [REDACTED",
    ),
    form(
        "az login -p",
        "az login --service-principal -u 0b6c-app -p AzSpPw~" + tok("az", 20) + " --tenant acme",
        "AzSpPw~" + tok("az", 20),
        "--tenant acme",
    ),
    form(
        "oc login -p",
        "oc login https://api.ocp.acme.test:6443 -u deployer -p OcL0gin" + tok("oc", 8),
        "OcL0gin" + tok("oc", 8),
        "oc login https://api.ocp.acme.test:6443 -u deployer -p [REDACTED",
    ),
    form(
        "sshpass -p 'quoted'",
        "sshpass -p 'SshP4ss " + tok("sp", 8) + "' ssh deploy@10.0.0.12 ./deploy.sh",
        ("SshP4ss", tok("sp", 8)),
        "ssh deploy@10.0.0.12 ./deploy.sh",
    ),
    form(
        "sshpass -pVALUE",
        "sshpass -pSshJoined" + tok("sj", 8) + " scp build.tgz deploy@web1:/srv",
        "SshJoined" + tok("sj", 8),
        "scp build.tgz deploy@web1:/srv",
    ),
    form(
        "twine -p",
        "twine upload -u __token__ -p TwineUpl0ad" + tok("tw", 12) + " dist/*",
        "TwineUpl0ad" + tok("tw", 12),
        "twine upload -u __token__ -p [REDACTED",
    ),
    form(
        "mongosh -p",
        "mongosh mongodb://db:27017/shop -u admin -p M0ngoPw" + tok("mg", 8),
        "M0ngoPw" + tok("mg", 8),
        "mongosh mongodb://db:27017/shop -u admin -p [REDACTED",
    ),
    form(
        "redis-cli -a",
        "redis-cli -h cache -a R3disAuth" + tok("rc", 8) + " ping",
        "R3disAuth" + tok("rc", 8),
        "redis-cli -h cache -a [REDACTED",
    ),
    form(
        "sqlcmd -P",
        "sqlcmd -S db.acme.test -U sa -P SqlSaPw" + tok("sq", 8) + " -i migrate.sql",
        "SqlSaPw" + tok("sq", 8),
        "-i migrate.sql",
    ),
    form(
        "openssl -passout pass:",
        "openssl pkcs12 -export -in crt.pem -out app.p12 -passout pass:P12Out" + tok("po", 8),
        "P12Out" + tok("po", 8),
        "openssl pkcs12 -export -in crt.pem -out app.p12 -passout [REDACTED",
    ),
    form(
        "keytool -storepass",
        "keytool -importcert -keystore app.jks -storepass KsPw" + tok("ks", 10) + " -noprompt",
        "KsPw" + tok("ks", 10),
        "-noprompt",
    ),
    form(
        "zip -P",
        "zip -P Z1pPass" + tok("zp", 8) + " -r release.zip dist",
        "Z1pPass" + tok("zp", 8),
        "-r release.zip dist",
    ),
    form(
        "7z -p",
        "7z x secrets.7z -pSevenZ" + tok("7z", 8) + " -o./conf",
        "SevenZ" + tok("7z", 8),
        "7z x secrets.7z -p[REDACTED",
    ),
    form(
        "smbclient -U user%pass",
        "smbclient //files/share -U ci%SmbPw" + tok("smb", 8) + " -c 'put build.zip'",
        "SmbPw" + tok("smb", 8),
        "smbclient //files/share -U ci%[REDACTED",
    ),
    form(
        "htpasswd -b",
        "htpasswd -bc /etc/nginx/.htpasswd admin HtPw" + tok("ht", 8),
        "HtPw" + tok("ht", 8),
        "htpasswd -bc /etc/nginx/.htpasswd admin [REDACTED",
    ),
    form(
        "mysql -pVALUE (known before)",
        "mysql -uroot -pMysqlPw" + tok("my", 8) + " -h db shop < schema.sql",
        "MysqlPw" + tok("my", 8),
        "mysql -uroot -p[REDACTED",
    ),
    # -- long flags with a space ----------------------------------------------------
    form(
        "--docker-password VALUE",
        "kubectl create secret docker-registry regcred --docker-server=r.acme.test "
        "--docker-username=ci --docker-password DockerPw" + tok("kd", 10),
        "DockerPw" + tok("kd", 10),
        "--docker-username=ci --docker-password [REDACTED",
    ),
    form(
        "--access-token VALUE",
        "vercel deploy --prod --access-token AccTok" + tok("at", 20),
        "AccTok" + tok("at", 20),
        "vercel deploy --prod --access-token [REDACTED",
    ),
    form(
        "--auth-token VALUE",
        "sentry-cli releases new 1.4.2 --auth-token AuthTok" + tok("st", 24),
        "AuthTok" + tok("st", 24),
        "sentry-cli releases new 1.4.2 --auth-token [REDACTED",
    ),
    form(
        "--git-token=VALUE",
        "argocd repo add https://git.acme.test/app.git --git-token=GitTok" + tok("gt", 16),
        "GitTok" + tok("gt", 16),
        "argocd repo add https://git.acme.test/app.git --git-token=[REDACTED",
    ),
    form(
        "--db-password VALUE",
        "./manage.py migrate --db-password DbPw" + tok("db", 10) + " --noinput",
        "DbPw" + tok("db", 10),
        "--noinput",
    ),
    form(
        "--password 'two words' (known before)",
        "deploy --password 'Two Words " + tok("tw2", 6) + "' --yes",
        ("Two Words", tok("tw2", 6)),
        "--yes",
    ),
    form(
        "aws configure set aws_secret_access_key",
        "aws configure set aws_secret_access_key " + tok("awscs", 40, B64),
        tok("awscs", 40, B64),
        "aws configure set aws_secret_access_key [REDACTED",
    ),
    form(
        "aws configure set aws_session_token",
        "aws configure set aws_session_token IQoJb3JpZ2lu" + tok("sess", 60, B64),
        "IQoJb3JpZ2lu" + tok("sess", 60, B64),
        "aws configure set aws_session_token [REDACTED",
    ),
    form(
        "npm config set _authToken",
        "npm config set //npm.acme.test/:_authToken NpmCfg" + tok("nc", 20),
        "NpmCfg" + tok("nc", 20),
        "npm config set //npm.acme.test/:_authToken [REDACTED",
    ),
    form(
        "yarn config set npmAuthToken",
        "yarn config set npmAuthToken YarnTok" + tok("yt", 20),
        "YarnTok" + tok("yt", 20),
        "yarn config set npmAuthToken [REDACTED",
    ),
    form(
        "az keyvault secret set --value",
        "az keyvault secret set --vault-name kv --name db --value KvVal" + tok("kv", 12),
        "KvVal" + tok("kv", 12),
        "az keyvault secret set --vault-name kv --name db --value [REDACTED",
    ),
    form(
        "gh secret set --body",
        "gh secret set DEPLOY_KEY --body GhBody" + tok("gh", 16),
        "GhBody" + tok("gh", 16),
        "gh secret set DEPLOY_KEY --body [REDACTED",
    ),
    # -- credentials in URLs --------------------------------------------------------
    form(
        "URL with an empty user",
        "connecting to redis://:RedisUrlPw" + tok("ru", 10) + "@cache.acme.test:6379/0",
        "RedisUrlPw" + tok("ru", 10),
        "@cache.acme.test:6379/0",
    ),
    form(
        "URL with an e-mail as user",
        "DATABASE_URL=postgresql://a@example.com:PgMailPw" + tok("pm", 10) + "@db.acme.test/shop",
        "PgMailPw" + tok("pm", 10),
        "@db.acme.test/shop",
    ),
    form(
        "mongodb+srv URL",
        "mongodb+srv://app:MongoSrv" + tok("ms", 10) + "@cluster0.ab1cd.mongodb.net/prod",
        "MongoSrv" + tok("ms", 10),
        "@cluster0.ab1cd.mongodb.net/prod",
    ),
    form(
        "amqp URL (known before)",
        "amqp://worker:AmqpPw" + tok("aq", 10) + "@rabbit.acme.test:5672/",
        "AmqpPw" + tok("aq", 10),
        "@rabbit.acme.test:5672/",
    ),
    form(
        "JDBC password parameter",
        "jdbc:postgresql://db:5432/shop?user=app&password=JdbcPw" + tok("jd", 10) + "&ssl=true",
        "JdbcPw" + tok("jd", 10),
        "&ssl=true",
    ),
    # -- private keys whose lines carry a prefix -----------------------------------------
    form(
        "key block under docker compose's prefix",
        pem("RSA PRIVATE KEY", "compose", "app_1  | "),
        tuple(key_lines("compose", 8)),
        "app_1  | [REDACTED:pem]",
    ),
    form(
        "key block under a [deploy] tag",
        pem("OPENSSH PRIVATE KEY", "tagged", "[deploy] "),
        tuple(key_lines("tagged", 8)),
        "[deploy] [REDACTED:pem]",
    ),
    form(
        "key block under kubectl's pod prefix",
        pem("EC PRIVATE KEY", "kubectl", "pod/api-7d9f8c6b5-x2k4q "),
        tuple(key_lines("kubectl", 8)),
        "pod/api-7d9f8c6b5-x2k4q [REDACTED:pem]",
    ),
    form(
        "key block under compose v2's prefix",
        pem("PRIVATE KEY", "composev2", "web-1  | "),
        tuple(key_lines("composev2", 8)),
        "web-1  | [REDACTED:pem]",
    ),
    form(
        "encrypted PKCS#8 key block under a prefix",
        pem("ENCRYPTED PRIVATE KEY", "enc", "init  | "),
        tuple(key_lines("enc", 8)),
        "init  | [REDACTED:pem]",
    ),
    form(
        "PGP key block under a prefix",
        pem("PGP PRIVATE KEY BLOCK", "pgp", "gpg | "),
        tuple(key_lines("pgp", 8)),
        "gpg | [REDACTED:pem]",
    ),
    form(
        "key block with no prefix (known before)",
        ["-----BEGIN RSA PRIVATE KEY-----", *_RSA, "-----END RSA PRIVATE KEY-----"],
        tuple(_RSA),
        "[REDACTED:pem]",
    ),
    # -- vendor tokens ----------------------------------------------------------------
    *(
        form(f"vendor token {name}", f"export {var}={value}", value, f"export {var}=[REDACTED")
        for name, var, value in (
            ("npm_", "NPM_PUBLISH", "npm_" + tok("npm", 36)),
            ("hvs.", "VAULT_ADDR_TOKEN", "hvs." + tok("hvs", 92, URLSAFE)),
            ("ya29.", "GOOGLE_OAUTH", "ya29.a0" + tok("ya29", 120, URLSAFE)),
            ("whsec_", "STRIPE_WEBHOOK", "whsec_" + tok("whsec", 32)),
            ("GOCSPX-", "GOOGLE_CLIENT", "GOCSPX-" + tok("gocspx", 28, URLSAFE)),
        )
    ),
    *(
        form(
            f"bare vendor token {name}",
            f"using credential {value} for upload",
            value,
            "using credential [REDACTED:",
        )
        for name, value in (
            ("npm_", "npm_" + tok("npm2", 36)),
            ("hvs.", "hvs." + tok("hvs2", 24, URLSAFE)),
            ("hvb.", "hvb." + tok("hvb", 140, URLSAFE)),
            ("ya29.", "ya29." + tok("ya29b", 80, URLSAFE)),
            ("whsec_", "whsec_" + tok("whsec2", 40)),
            ("GOCSPX-", "GOCSPX-" + tok("gocspx2", 28, URLSAFE)),
            ("sk-ant-api03-", "sk-ant-api03-" + tok("ant", 93, URLSAFE) + "AA"),
            ("sk-proj-", "sk-proj-" + tok("oai", 156, URLSAFE)),
            ("hf_", "hf_" + tok("hf", 34, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")),
            ("dop_v1_", "dop_v1_" + tok("do", 64, HEX)),
            ("dapi", "dapi" + tok("dapi", 32, HEX)),
            ("shpat_", "shpat_" + tok("shop", 32, HEX)),
            ("xkeysib-", "xkeysib-" + tok("sib", 64, HEX) + "-" + tok("sib2", 16)),
            (
                "AGE-SECRET-KEY-1",
                "AGE-SECRET-KEY-1" + tok("age", 58, "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L"),
            ),
            ("dckr_pat_", "dckr_pat_" + tok("dckr", 27, URLSAFE)),
            ("PMAK-", "PMAK-" + tok("pmak", 24, HEX) + "-" + tok("pmak2", 34, HEX)),
            ("lin_api_", "lin_api_" + tok("lin", 40)),
            ("glsa_", "glsa_" + tok("glsa", 32) + "_" + tok("glsa2", 8, HEX)),
            ("glc_", "glc_" + tok("glc", 60, B64)),
            (
                "dt0c01.",
                "dt0c01."
                + tok("dt", 24, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
                + "."
                + tok("dt2", 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            ),
            ("NRAK-", "NRAK-" + tok("nr", 27, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")),
            ("sntryu_", "sntryu_" + tok("sentry", 64, HEX)),
            ("sq0atp-", "sq0atp-" + tok("sq0", 22, URLSAFE)),
            ("AKCp", "AKCp" + tok("akcp", 69)),
            ("pnu_", "pnu_" + tok("pnu", 36)),
            ("rubygems_", "rubygems_" + tok("gems", 48, HEX)),
            ("pul-", "pul-" + tok("pul", 40, HEX)),
            ("CCIPAT_", "CCIPAT_" + tok("cci", 22) + "_" + tok("cci2", 40, HEX)),
            ("sqp_", "sqp_" + tok("sonar", 40, HEX)),
            ("sbp_", "sbp_" + tok("supa", 40, HEX)),
            ("gsk_", "gsk_" + tok("groq", 52)),
            ("LTAI", "LTAI" + tok("ali", 20)),
            ("Azure AD client secret", tok("aad", 3) + "8Q~" + tok("aad2", 34, ALNUM + "_~.-")),
            ("glpat-", "glpat-" + tok("glpat", 20, URLSAFE)),
            ("gldt-", "gldt-" + tok("gldt", 20, URLSAFE)),
            (
                "xoxe.xoxp-",
                "xoxe.xoxp-1-" + tok("xoxe", 160, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            ),
            ("Twilio SK (detect-secrets)", "SK" + tok("twilio", 32, HEX)),
            (
                "Discord bot (detect-secrets)",
                "MTA"
                + tok("disc", 23, URLSAFE)
                + "."
                + tok("disc2", 6, URLSAFE)
                + "."
                + tok("disc3", 27, URLSAFE),
            ),
            ("Telegram bot (detect-secrets)", "5123456789:AAH" + tok("tg", 32, URLSAFE)),
            ("Artifactory AKC (detect-secrets)", "AKC" + tok("akc", 12)),
        )
    ),
    # -- base64 of a key, a token, a password -------------------------------------------
    form(
        "base64 of a private key (Kubernetes Secret)",
        ["data:", f"  tls.key: {_K8S_KEY}"],
        (_K8S_KEY, _K8S_KEY[40:80]),
        "  tls.key: [REDACTED:base64",
    ),
    form(
        "base64 of a token",
        f"echo {b64(_TOKEN)} | base64 -d | gh auth login --with-token",
        b64(_TOKEN),
        "| base64 -d | gh auth login --with-token",
    ),
    form(
        "base64 of user:password",
        "registry credentials " + b64("deploy:B64UserPw" + tok("bup", 8)) + " rejected",
        b64("deploy:B64UserPw" + tok("bup", 8)),
        "registry credentials [REDACTED:base64",
    ),
    form(
        "base64 of a docker config (.dockerconfigjson)",
        f"  .dockerconfigjson: {_DOCKERCONFIG}",
        _DOCKERCONFIG,
        "  .dockerconfigjson: [REDACTED:base64",
    ),
    form(
        "base64 of an AWS credentials file",
        f"writing ~/.aws/credentials from {_AWS_FILE}",
        _AWS_FILE,
        "writing ~/.aws/credentials from [REDACTED:base64",
    ),
    form(
        "base64 of password=value",
        "CONFIG_BLOB=" + b64("password=B64Pw" + tok("bp", 10) + "&user=ci"),
        b64("password=B64Pw" + tok("bp", 10) + "&user=ci"),
        "CONFIG_BLOB=[REDACTED:base64",
    ),
    # -- quoted values with spaces --------------------------------------------------------
    form(
        'password = "three word phrase"',
        'password = "correct horse battery staple"',
        ("correct", "horse", "battery", "staple"),
        "password = ",
    ),
    form(
        "secret: 'single quoted words'",
        "client_secret: 'violet lantern " + tok("sq2", 6) + "'",
        ("violet", "lantern", tok("sq2", 6)),
        "client_secret: ",
    ),
    form(
        '"password": "json with spaces"',
        '{"user": "ci", "password": "amber kettle ' + tok("js", 6) + '"}',
        ("amber", "kettle", tok("js", 6)),
        '{"user": "ci", "password": ',
    ),
    form(
        'export PASSWORD="a b c"',
        'export SMTP_PASSWORD="copper meadow ' + tok("ex", 6) + '"',
        ("copper", "meadow", tok("ex", 6)),
        "export SMTP_PASSWORD=",
    ),
    form(
        'docker run -e "DB_PASSWORD=two words"',
        'docker run -e "DB_PASSWORD=silver harbor ' + tok("dr", 6) + '" app:1.4',
        ("silver", "harbor", tok("dr", 6)),
        "app:1.4",
    ),
    form(
        "token => 'quoted' (ruby)",
        "config.api_token => 'plum orchard " + tok("rb", 6) + "'",
        ("plum", "orchard", tok("rb", 6)),
        "config.api_token => ",
    ),
    # -- a value on the line after a prompt ---------------------------------------------
    form(
        "Enter password: prompt just outside the kept lines",
        [
            "Enter password:",
            "PromptPw" + tok("pp", 10),
            "connecting to db.acme.test:5432",
            "retrying in 2s",
            "retrying in 4s",
        ],
        "PromptPw" + tok("pp", 10),
        "[REDACTED:secret]",
    ),
    form(
        "git's Password for 'url': prompt outside the kept lines",
        [
            "Password for 'https://ci@git.acme.test':",
            "GitPromptPw" + tok("gp", 10),
            "remote: Invalid username or password.",
            "fatal: could not read from remote repository",
            "retrying fetch",
        ],
        "GitPromptPw" + tok("gp", 10),
        "[REDACTED:secret]",
    ),
    form(
        "Enter passphrase for key prompt outside the kept lines",
        [
            "Enter passphrase for key '/root/.ssh/id_ed25519':",
            "Passphrase" + tok("pf", 10),
            "debug1: trying next key",
            "debug1: no more keys",
            "debug1: giving up",
        ],
        "Passphrase" + tok("pf", 10),
        "[REDACTED:secret]",
    ),
    form(
        "a name on one line, the value on the next (known before)",
        ["  DB_PASSWORD:", "    NextLine" + tok("nl", 10)],
        "NextLine" + tok("nl", 10),
        "  DB_PASSWORD:",
    ),
    # -- other known forms ---------------------------------------------------------------
    form(
        "JSON-escaped password",
        '{\\"password\\":\\"JsonEsc' + tok("je", 10) + '\\"}',
        "JsonEsc" + tok("je", 10),
        '{\\"password\\":\\"[REDACTED',
    ),
    form(
        "URL-encoded password",
        "POST body grant_type=password&username=ci&password%3DUrlEnc" + tok("ue", 10),
        "UrlEnc" + tok("ue", 10),
        "POST body grant_type=password&username=ci&password%3D[REDACTED",
    ),
    form(
        "Authorization: Basic header",
        "> Authorization: Basic " + b64("ci:BasicPw" + tok("ba", 8)),
        b64("ci:BasicPw" + tok("ba", 8)),
        "> Authorization: Basic [REDACTED",
    ),
    form(
        "curl -u user:pass",
        "curl -fsSL -u deploy:CurlPw" + tok("cu", 8) + " https://nexus.acme.test/upload",
        "CurlPw" + tok("cu", 8),
        "https://nexus.acme.test/upload",
    ),
    form(
        "GitHub token in a clone URL",
        "git clone https://x-access-token:" + _TOKEN + "@github.com/acme/app",
        _TOKEN,
        "@github.com/acme/app",
    ),
)

assert len({f.name for f in FORMS}) == len(FORMS), "form names must be unique"

# Lines that look like secrets to a careless rule but are what people need in an
# incident: each must come through unchanged.
LOOKALIKES: tuple[str, ...] = (
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8 Merge pull request #42",
    "HEAD is now at 4f2a9c1 fix: round totals",
    "Digest: sha256:3fd9065eaf02feaf94d68376da52541925650b81698c53c6824d92ff63f98353",
    "pushing registry.acme.test/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "request id 123e4567-e89b-12d3-a456-426614174000 done",
    "Temporarily overriding HOME='/home/runner/work/_temp/df00297c-7b76-40ec-8d64-1b398f630c4a' before making global git config changes",
    "FAILED tests/test_auth.py::test_password_reset_token_expires - AssertionError: assert 401 == 200",
    "FAILED tests/test_tokens.py::TestApiKey::test_rotate_secret_keeps_old_one - KeyError: 'kid'",
    "PASSED tests/test_login.py::test_login_with_password[admin-True]",
    "--- FAIL: TestSecretRotation/expired_token (0.02s)",
    "    at com.acme.auth.TokenService.refresh(TokenService.java:88)",
    "src/auth/password_policy.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
    "Successfully installed requests-2.32.3 cryptography-43.0.1 pyjwt-2.9.0",
    "go: downloading github.com/golang-jwt/jwt/v5 v5.2.1",
    "github.com/golang-jwt/jwt/v5 v5.2.1 h1:Hs7l4kKd5Sk8YiN6fk3ZbQZW8t0KDKBKKp5EfBCCGCU=",
    "npm ERR! code E401",
    "npm ERR! Unable to authenticate, your authentication token seems to be invalid.",
    "npm WARN tarball tarball data for lodash@4.17.21 (sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==) seems to be corrupted.",
    "  integrity sha512-v2kDEe57lecTulaDIuNTPy3Ry4gLGJ6Z1O3vE1krgXZNrsQ+LFTGHVxVjcXPs17LhbZVGedAJv8XZ1tvj5FvSg==",
    "Collecting numpy==2.1.1 (from -r requirements.txt (line 3)) --hash=sha256:0d07841fd284718feffe7dd17a63a2e6c78679b2d386d3e82f44f0108c905550",
    "Cache restored from key: node-cache-Linux-x64-npm-2c5a1b0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b",
    "Received 45088768 of 131564032 (34.3%), 43.0 MBs/sec",
    "docker run -p 8080:80 -d nginx:1.27.2",
    "mkdir -p /home/runner/work/app/build",
    "ssh -p 2222 deploy@10.0.0.12 ./deploy.sh",
    "pytest -p no:cacheprovider -q tests/",
    "docker login --password-stdin -u ci registry.acme.test",
    "docker buildx build --secret id=npmrc,src=.npmrc -t app:1.4 .",
    "kubectl get secret db-credentials -n prod",
    'Error from server (NotFound): secrets "db-credentials" not found',
    "tokenizer=fast password_policy_url: docs secrets: 0 found",
    "llm --max-tokens 512 --temperature 0.2",
    "PWD=/home/runner/work/app/app",
    "OLDPWD=/home/runner",
    "password: ******** (masked by Harness)",
    "token: [REDACTED:slack_token]",
    "AKIA in a sentence is just a word",
    "arn:aws:iam::123456789012:role/deploy-role",
    "image data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "payload " + b64("the quick brown fox jumps over the lazy dog"),
    "version 1.27.2-alpine3.20, build 2024.11.05+7f3c2a1",
    "https://github.com/acme/app/commit/9fceb02d0ae598e95dc970b74767f19372d61af8",
    "Publishing build scan... https://gradle.com/s/a7xqkq5dtbdxm",
    "Run ID: 7c3f5e2a-9b1d-4e6f-8a2c-1d3e5f7a9b0c, attempt 2",
    "Step 3/12 : RUN make build",
    "node_modules/.pnpm/@types+node@20.11.5/node_modules/@types/node/index.d.ts",
    "Uploaded to s3://acme-artifacts/builds/2026/11/20/app-4f2a9c1.tar.gz",
    'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
    "Signature verified: key ID 4AEE18F83AFDEB23",
    "sk-learn warning: sklearn.linear_model converged in 12 iterations",
    "using key-value store at /var/lib/app/kv",
    # Lines of the real logs in ../shared/ci-logs that the redaction of old hid.
    "  server-password: GITHUB_TOKEN",
    "Found token: yes",
    "            java.lang.String token = frames.nextToken();",
    " + tiktoken==0.12.0",
    '--health-retries 5 -e "MYSQL_ALLOW_EMPTY_PASSWORD=yes" -e "MYSQL_DATABASE=pandas"',
)
