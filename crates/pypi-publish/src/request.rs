//! Inputs → a typed, validated [`Request`]: every input error (URLs, credentials, the OIDC
//! environment) before any file is read or any request is sent.

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::SecretString;
use slipway_pypi::attest::{AttestMode, SigstoreUrls};
use slipway_pypi::gate::Gate;
use slipway_pypi::{
    Credentials, LocalOptions, OidcEnv, Patience, PromoteFrom, PublishRequest, RetryPolicy,
    TimeBounds, TrustedPublishing, VerifyWait,
};
use slipway_runner::{Action, HintExt, env};
use url::Url;

/// A URL input, parsed and checked. Credentials written into it (`https://user:pw@host/`) are
/// masked as soon as the value is read (before any error could quote it) and taken out of the
/// URL: they come back as [`Credentials`] for that URL's origin alone, and the URL is shown and
/// used without them.
fn url_input(action: &Action, name: &str) -> anyhow::Result<Option<(Url, Option<Credentials>)>> {
    let inputs = &action.inputs;
    let Some(raw) = inputs.string(name) else {
        return Ok(None);
    };
    let credentials = slipway_pypi::userinfo(&raw).map(|(user, password)| Credentials {
        user,
        password: SecretString::from(password),
    });
    if let Some(credentials) = &credentials {
        credentials.register(&action.commands);
    }
    if let Some((user, password)) = slipway_pypi::typed_userinfo(&raw) {
        // As typed too (percent-encoded or not); a user alone is a token.
        action
            .commands
            .add_mask(if password.is_empty() { user } else { password });
    }
    let url = slipway_pypi::parse_secure_url(&raw).map_err(|e| {
        let reason = match (&e, example_url(name)) {
            // The library's example is an upload URL; a simple index's input shows one of those.
            (slipway_pypi::UrlError::Invalid { .. }, Some(example)) => format!(
                "{}\nhint: write a full URL such as `{example}`",
                e.to_string().lines().next().unwrap_or_default()
            ),
            _ => e.to_string(),
        };
        inputs.invalid(name, &slipway_pypi::display_input_url(&raw), reason)
    })?;
    Ok(Some((slipway_pypi::without_userinfo(&url), credentials)))
}

/// The example a malformed simple-index URL input is shown (`None`: the library's own, an
/// upload URL).
fn example_url(name: &str) -> Option<&'static str> {
    match name {
        "index-url" => Some("https://pypi.org/simple/"),
        "promote-from" => Some("https://test.pypi.org/simple/"),
        _ => None,
    }
}

/// A validated request, built from the inputs.
#[derive(Debug)]
pub struct Request {
    /// What to publish, where, and how to authenticate.
    pub publish: PublishRequest,
    /// Log and show both hashes of every file.
    pub print_hash: bool,
    /// The gate check of the job's deployment environment.
    pub gate: Gate,
}

/// The gate check's settings from `require-protected-environment` and `token`.
fn gate(action: &Action) -> anyhow::Result<Gate> {
    let required = action.inputs.bool("require-protected-environment")?;
    let github = match action.inputs.string("token") {
        Some(_) => Some(slipway_github::client_from_inputs(
            &action.inputs,
            &action.commands,
        )?),
        None => None,
    };
    Ok(Gate { required, github })
}

impl Request {
    /// Reads and validates every input and the OIDC environment; errors name the input and value.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        Ok(Self {
            publish: publish_request(action)?,
            print_hash: action.inputs.bool("print-hash")?,
            gate: gate(action)?,
        })
    }
}

/// A Sigstore service's URL input (`https`, or `http` on loopback for tests), its default when
/// empty.
fn sigstore_url(action: &Action, name: &str) -> anyhow::Result<Url> {
    let given = action.inputs.or_default(name);
    slipway_pypi::parse_secure_url(&given).map_err(|e| {
        action
            .inputs
            .invalid(
                name,
                &slipway_pypi::display_input_url(&given),
                e.to_string(),
            )
            .into()
    })
}

/// The inputs and the OIDC environment as the library's request.
fn publish_request(action: &Action) -> anyhow::Result<PublishRequest> {
    let i = &action.inputs;
    let workspace = action
        .env
        .path(env::GITHUB_WORKSPACE)
        .unwrap_or_else(|| PathBuf::from("."));
    let packages_dir = workspace.join(i.or_default("packages-dir"));
    let (repository_url, upload_auth) = match url_input(action, "repository-url")? {
        Some(given) => given,
        None => (
            slipway_pypi::parse_secure_url(slipway_pypi::PYPI_UPLOAD_URL)?,
            None,
        ),
    };
    let (index_url, index_auth) = match url_input(action, "index-url")? {
        Some((url, auth)) => (Some(url), auth),
        None => (slipway_pypi::derive_index_url(&repository_url), None),
    };
    let pypi = slipway_pypi::urls::KnownIndex::of(&repository_url).is_some();
    let trusted_publishing = i
        .parsed("trusted-publishing", |v| {
            v.parse::<TrustedPublishing>().map_err(|e| {
                format!("{e}\nhint: `auto` (the default) uses trusted publishing when `password` is empty; `always` requires it; `never` requires `password`")
            })
        })?
        .unwrap_or_default();
    let expected_version = i.string("expected-version");
    if let Some(v) = &expected_version
        && let Err(e) = v.parse::<pep440_rs::Version>()
    {
        return Err(i
                .invalid(
                    "expected-version",
                    v,
                    format!("it is not a PEP 440 version: {e}\nhint: write it as `1.2.3` (a leading `v` is accepted), e.g. the `version` output of fetch-assets"),
                )
                .into());
    }
    let mut password = i.secret("password", &action.commands);
    let mut user = i.or_default("user");
    if let Some(auth) = upload_auth {
        let instead = if password.is_some() {
            Some("`password` is set")
        } else if trusted_publishing == TrustedPublishing::Always {
            Some("`trusted-publishing` is `always`")
        } else {
            None
        };
        match instead {
            Some(why) => action.commands.warning(&format!(
                "`repository-url` carries credentials, but {why}: the credentials in the URL are not used"
            )),
            None => {
                user = auth.user;
                password = Some(auth.password);
            }
        }
    }
    // Read by the runner to turn on debug logging; checked here so a typo is an error.
    i.bool("verbose")?;
    let request_token = action
        .env
        .get(env::ACTIONS_ID_TOKEN_REQUEST_TOKEN)
        .map(|t| {
            action.commands.add_mask(t);
            secrecy::SecretString::from(t.to_string())
        });
    let attestations = i
        .parsed("attestations", str::parse::<AttestMode>)?
        .unwrap_or_default();
    let sigstore = SigstoreUrls {
        fulcio: sigstore_url(action, "fulcio-url")?,
        rekor: sigstore_url(action, "rekor-url")?,
    };
    let promote_from = promote_from(action, index_url.as_ref())?;
    let verify = verify_uploaded(action, pypi, index_url.is_some())?;
    let event = action
        .event()
        .context("reading the event payload")
        .hint("GITHUB_EVENT_PATH must name the event's JSON file")?;
    Ok(PublishRequest {
        packages_dir,
        repository_url,
        index_url,
        index_auth,
        user,
        password,
        trusted_publishing,
        local: LocalOptions {
            verify_metadata: i.bool("verify-metadata")?,
            pypi,
            expected_version,
            attestations: attestations != AttestMode::Off,
        },
        attestations,
        sigstore,
        skip_existing: i.bool("skip-existing")?,
        dry_run: i.bool("dry-run")?,
        max_parallel: i.max_parallel()?,
        oidc: OidcEnv {
            request_url: action
                .env
                .get(env::ACTIONS_ID_TOKEN_REQUEST_URL)
                .map(str::to_string),
            request_token,
            event_name: action.context.event_name.clone(),
            event,
        },
        patience: Patience {
            retry: RetryPolicy::from_env(action.inputs.env()),
            bounds: TimeBounds::from_env(action.inputs.env()).map_err(anyhow::Error::msg)?,
        },
        promote_from,
        verify,
    })
}

/// `promote-from`: the staging index's simple API, its own credentials (if written into it)
/// for its origin alone. Not an upload URL, and not the index published to.
fn promote_from(action: &Action, index_url: Option<&Url>) -> anyhow::Result<Option<PromoteFrom>> {
    let Some((index, auth)) = url_input(action, "promote-from")? else {
        return Ok(None);
    };
    let shown = slipway_pypi::display_input_url(index.as_str());
    let invalid = |reason: &str| action.inputs.invalid("promote-from", &shown, reason);
    if index.path().trim_end_matches('/').ends_with("/legacy") {
        return Err(invalid("it is an upload URL, not a simple index\nhint: give the staging index's simple API, e.g. `https://test.pypi.org/simple/` (not `https://test.pypi.org/legacy/`)").into());
    }
    let same = |a: &Url| a.as_str().trim_end_matches('/') == index.as_str().trim_end_matches('/');
    if index_url.is_some_and(same) {
        return Err(invalid("it is the index this step publishes to, so it proves nothing\nhint: `promote-from` is the staging index the files were published to and tested from (e.g. `https://test.pypi.org/simple/`); `index-url` is production's").into());
    }
    Ok(Some(PromoteFrom { index, auth }))
}

/// `verify-uploaded`: `auto` (the default) reads back from PyPI and TestPyPI only; `true` from
/// any index (which needs `index-url`); `false` never. The wait is `SLIPWAY_VERIFY_WAIT`.
fn verify_uploaded(
    action: &Action,
    pypi: bool,
    has_index: bool,
) -> anyhow::Result<Option<VerifyWait>> {
    let i = &action.inputs;
    let value = i.or_default("verify-uploaded");
    let on = match value.to_ascii_lowercase().as_str() {
        "auto" | "" => pypi,
        "true" => true,
        "false" => false,
        _ => {
            return Err(i
                .invalid(
                    "verify-uploaded",
                    &value,
                    "expected `auto`, `true` or `false`\nhint: `auto` (the default) reads the files back from PyPI and TestPyPI; `true` from any index (with `index-url`); `false` never",
                )
                .into());
        }
    };
    if on && !has_index {
        return Err(i
            .invalid(
                "verify-uploaded",
                &value,
                "there is no simple index to read the files back from\nhint: set `index-url` to the index's simple API (e.g. `https://pypi.example.com/simple/`), or `verify-uploaded: false`",
            )
            .into());
    }
    if !on {
        return Ok(None);
    }
    Ok(Some(
        VerifyWait::from_env(i.env()).map_err(anyhow::Error::msg)?,
    ))
}
