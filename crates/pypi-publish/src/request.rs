//! Inputs → a typed, validated [`Request`]: every input error (URLs, credentials, the OIDC
//! environment) before any file is read or any request is sent.

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::SecretString;
use slipway_pypi::attest::{AttestMode, SigstoreUrls};
use slipway_pypi::{
    Credentials, LocalOptions, OidcEnv, Patience, PublishRequest, RetryPolicy, TimeBounds,
    TrustedPublishing,
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
    let url = slipway_pypi::parse_secure_url(&raw)
        .map_err(|e| inputs.invalid(name, &slipway_pypi::display_input_url(&raw), e.to_string()))?;
    Ok(Some((slipway_pypi::without_userinfo(&url), credentials)))
}

/// A validated request, built from the inputs.
#[derive(Debug)]
pub struct Request {
    /// What to publish, where, and how to authenticate.
    pub publish: PublishRequest,
    /// Log and show both hashes of every file.
    pub print_hash: bool,
}

impl Request {
    /// Reads and validates every input and the OIDC environment; errors name the input and value.
    pub fn from_action(action: &Action) -> anyhow::Result<Self> {
        Ok(Self {
            publish: publish_request(action)?,
            print_hash: action.inputs.bool("print-hash")?,
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
    })
}
