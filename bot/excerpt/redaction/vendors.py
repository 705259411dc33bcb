"""Tokens that say who issued them: a vendor's fixed prefix and length.

detect-secrets' plugins (see `catalogue`) know about twenty vendors; secret
scanners such as gitleaks keep longer lists of the formats vendors document. This
table holds the documented formats that detect-secrets lacks and that turn up in
build logs: each has a prefix no ordinary word has (`hvs.`, `ya29.`, `whsec_`,
`GOCSPX-`, `npm_` …) and a length, so nothing else is hidden. Kinds are named
after the vendor.
"""

from __future__ import annotations

import re

from bot.excerpt.redaction.patterns import Pattern

# Not inside a longer word: tokens are delimited by spaces, quotes, `=`, `:` or ends.
_L = r"(?<![A-Za-z0-9_])"
_R = r"(?![A-Za-z0-9_])"

# (kind, token regex), grouped by vendor. Sources: each vendor's token-format
# documentation; the list cross-checked against gitleaks' default rules.
_FORMATS: tuple[tuple[str, str], ...] = (
    ("npm_token", r"npm_[A-Za-z0-9]{36}"),
    # HashiCorp Vault service, batch and recovery tokens; Terraform Cloud API tokens.
    ("vault_token", r"hv[sbr]\.[A-Za-z0-9_-]{24,400}"),
    ("terraform_token", r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"),
    # Google: OAuth access and refresh tokens, OAuth client secrets.
    ("google_oauth_token", r"ya29\.[A-Za-z0-9_-]{20,}"),
    ("google_oauth_token", r"1//0[A-Za-z0-9_-]{35,}"),
    ("google_client_secret", r"GOCSPX-[A-Za-z0-9_-]{28}"),
    # Stripe (and Svix) webhook signing secrets; Stripe restricted and secret keys are
    # in `shapes`.
    ("webhook_secret", r"whsec_[A-Za-z0-9+/=]{24,}"),
    # AI services.
    ("anthropic_key", r"sk-ant-(?:api|admin|sid)\d{2}-[A-Za-z0-9_-]{80,120}"),
    ("openai_key", r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{40,200}"),
    ("huggingface_token", r"(?:hf|api_org)_[A-Za-z]{34}"),
    ("groq_key", r"gsk_[A-Za-z0-9]{52}"),
    ("perplexity_key", r"pplx-[A-Za-z0-9]{48}"),
    # Clouds and platforms.
    ("alibaba_access_key_id", r"LTAI[A-Za-z0-9]{20}"),
    ("azure_client_secret", r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.-]{31,34}"),
    ("azure_devops_pat", r"[A-Za-z0-9]{76}AZDO[A-Za-z0-9]{4}"),
    ("azure_key", r"[A-Za-z0-9+/]{76}\+A(?:St|Sb|Eh|Rm|CR)[A-Za-z0-9+/]{5}=="),
    ("digitalocean_token", r"do[opr]_v1_[a-f0-9]{64}"),
    ("cloudflare_key", r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    ("heroku_key", r"HRKU-AA[A-Za-z0-9_-]{58}"),
    ("flyio_token", r"(?:fo1_[A-Za-z0-9_-]{43}|fm[12][ar]?_[A-Za-z0-9+/]{100,}={0,3})"),
    ("netlify_token", r"nfp_[A-Za-z0-9]{36}"),
    ("render_key", r"rnd_[A-Za-z0-9]{32}"),
    ("supabase_token", r"sbp_[a-f0-9]{40}"),
    ("planetscale_token", r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_=.-]{32,64}"),
    ("pulumi_token", r"pul-[a-f0-9]{40}"),
    ("doppler_token", r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}"),
    ("databricks_token", r"dapi[a-f0-9]{32}(?:-\d)?"),
    ("clickhouse_key", r"4b1d[A-Za-z0-9]{38}"),
    # Source hosting, CI and registries.
    ("docker_token", r"dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,}"),
    ("gitlab_token", r"gl(?:cbt|dt|ft|soat|rt|ptt|agent|oas|imt|ffct)-[\w-]{20,}"),
    ("gitlab_token", r"GR1348941[A-Za-z0-9_-]{20,}"),
    ("atlassian_token", r"ATATT3[A-Za-z0-9_=-]{180,200}"),
    ("bitbucket_token", r"ATBB[A-Za-z0-9]{28,32}"),
    ("circleci_token", r"CCIPAT_[A-Za-z0-9]{22}_[a-f0-9]{40}"),
    ("buildkite_token", r"bkua_[a-f0-9]{40}"),
    ("sonar_token", r"sq[pua]_[a-f0-9]{40}"),
    ("artifactory_token", r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtu[A-Za-z0-9]{56})"),
    ("rubygems_key", r"rubygems_[a-f0-9]{48}"),
    ("clojars_token", r"CLOJARS_[a-z0-9]{60}"),
    ("octopus_key", r"API-[A-Z0-9]{26}"),
    ("postman_key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"),
    ("prefect_key", r"pnu_[A-Za-z0-9]{36}"),
    ("readme_key", r"rdme_[a-z0-9]{70}"),
    ("figma_token", r"figd_[A-Za-z0-9_-]{40}"),
    ("linear_key", r"lin_api_[A-Za-z0-9]{40}"),
    ("notion_token", r"(?:ntn_[0-9]{11}[A-Za-z0-9]{35}|secret_[A-Za-z0-9]{43})"),
    ("typeform_token", r"tfp_[A-Za-z0-9_.=-]{59}"),
    # Monitoring.
    ("grafana_token", r"(?:glc_[A-Za-z0-9+/]{32,400}={0,3}|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})"),
    ("grafana_token", r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}"),
    ("dynatrace_token", r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}"),
    ("newrelic_key", r"NR(?:AK-[A-Z0-9]{27}|JS-[a-f0-9]{19}|II-[A-Za-z0-9-]{32})"),
    ("sentry_token", r"(?:sntryu_[a-f0-9]{64}|sntrys_eyJ[A-Za-z0-9+/=_]{50,})"),
    # Commerce and messaging.
    ("shopify_token", r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    ("square_token", r"(?:sq0atp-[A-Za-z0-9_-]{22}|EAAA[A-Za-z0-9_-]{60})"),
    ("easypost_key", r"EZ[AT]K[A-Za-z0-9]{54}"),
    ("sendinblue_key", r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}"),
    ("mailgun_key", r"(?<![\w-])key-[a-f0-9]{32}"),
    ("facebook_token", r"EAA[MC][A-Za-z0-9]{100,}"),
    ("shippo_token", r"shippo_(?:live|test)_[a-fA-F0-9]{40}"),
    ("duffel_token", r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    # Secrets of secret managers.
    ("onepassword_token", r"ops_eyJ[A-Za-z0-9+/]{250,}={0,3}"),
    (
        "onepassword_key",
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})(?:-[A-Z0-9]{5}){3}",
    ),
    ("age_key", r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"),
)

PATTERNS: tuple[Pattern, ...] = tuple(
    Pattern(kind, re.compile(_L + regex + _R)) for kind, regex in _FORMATS
)

__all__ = ["PATTERNS"]
