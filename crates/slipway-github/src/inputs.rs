//! Building a client from the common action inputs (`token`, `repository`, `api-url`) and the
//! retry-tuning environment variables, the same way in every binary.

use slipway_runner::{Commands, Env, InputError, InputSpec, Inputs, RepoSlug};

use crate::{ClientConfig, GitHub, GitHubError, RetryPolicy, TimeBounds};

/// The `repository` input every GitHub-side tool declares.
pub const REPOSITORY_INPUT: InputSpec =
    InputSpec::string("repository", "Repository as owner/name.")
        .default("${{ github.repository }}");

/// The `api-url` input every GitHub-side tool declares.
pub const API_URL_INPUT: InputSpec = InputSpec::string(
    "api-url",
    "GitHub REST API URL (GitHub Enterprise Server: https://HOST/api/v3).",
)
.default("${{ github.api_url }}");

/// The `token` input, with a description naming the permissions this tool needs.
pub const fn token_input(description: &'static str) -> InputSpec {
    InputSpec::secret("token", description).default("${{ github.token }}")
}

/// An input naming a release asset (`checksums`): `None` when empty (turned off); an error
/// when GitHub's renaming would leave nothing of it.
pub fn asset_name_input(inputs: &Inputs, name: &str) -> Result<Option<String>, InputError> {
    match inputs.string(name) {
        Some(value) if crate::github_asset_name(&value).is_empty() => Err(inputs.invalid(
            name,
            &value,
            "it is not a usable asset name\nhint: use a plain file name such as `SHA256SUMS`, or an empty value to turn the manifest off",
        )),
        other => Ok(other),
    }
}

/// Why a client could not be built from the inputs.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// An input is missing or malformed.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The client refused the configuration.
    #[error(transparent)]
    Client(#[from] GitHubError),
}

/// The retry policy: the default, or one tuned by `SLIPWAY_RETRY_ATTEMPTS` (total attempts) and
/// `SLIPWAY_RETRY_UNIT_MS` (every wait scaled to this unit; tests and impatient local runs).
pub fn retry_policy(env: &Env) -> RetryPolicy {
    RetryPolicy::from_env(env)
}

/// A client for the `repository` input (default GITHUB_REPOSITORY), at `api-url` (default
/// GITHUB_API_URL), with the `token` input (masked as soon as it is read).
pub fn client_from_inputs(inputs: &Inputs, commands: &Commands) -> Result<GitHub, SetupError> {
    let repo_text = inputs.required("repository")?;
    let repo = RepoSlug::parse(&repo_text)
        .map_err(|reason| inputs.invalid("repository", &repo_text, reason))?;
    let api_url = inputs
        .string("api-url")
        .unwrap_or_else(|| slipway_runner::context::DEFAULT_API_URL.to_string());
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return Err(inputs
            .invalid(
                "api-url",
                &api_url,
                "expected an http(s) URL such as `https://api.github.com`",
            )
            .into());
    }
    let token = inputs.secret("token", commands);
    let mut config = ClientConfig::new(api_url, token, repo);
    config.retry = retry_policy(inputs.env());
    config.bounds = TimeBounds::from_env(inputs.env()).map_err(GitHubError::Config)?;
    config.secrets = commands.secrets().clone();
    Ok(GitHub::new(config)?)
}
