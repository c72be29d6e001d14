//! The gate check of a publishing job: is its deployment environment really protected?
//! Environments' required reviewers and wait timers silently do nothing on private
//! repositories without GitHub Team/Enterprise, so a job that looks gated may not be. The job's
//! environment comes from its OIDC token (`environment` claim); its protection rules from the
//! environments API ([`slipway_github::Environment`]).

use slipway_github::GitHub;
use slipway_runner::Commands;

use crate::publish::PublishRequest;

/// What the tool says when the environment has no rule that holds a publish for a person.
const NOT_PROTECTED_HINT: &str = "in the repository's Settings → Environments, add required reviewers or a wait timer (on a private repository they need GitHub Team/Enterprise; without them the environment gates nothing)";

/// The gate check's settings.
#[derive(Debug)]
pub struct Gate {
    /// Fail (rather than warn) when the environment is not protected, or cannot be told.
    pub required: bool,
    /// The GitHub client that reads the environment; `None` without a token.
    pub github: Option<GitHub>,
}

/// Why a required gate check failed (`require-protected-environment: true`).
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The check could not be made.
    #[error("`require-protected-environment` is true, but {what}\nhint: {hint}")]
    Unchecked {
        /// What was missing.
        what: String,
        /// What to do.
        hint: &'static str,
    },
    /// The environment has nothing that holds a publish for a person.
    #[error(
        "the deployment environment `{name}` {what}, so nothing holds this publish for a person\nhint: {NOT_PROTECTED_HINT}"
    )]
    NotProtected {
        /// The environment.
        name: String,
        /// What it lacks.
        what: String,
    },
    /// The transport could not be built.
    #[error(transparent)]
    Transport(#[from] slipway_http::HttpError),
}

/// The gate check: reads the job's deployment environment from its OIDC token (`environment`)
/// and its protection rules through the environments API. Required reviewers, a wait timer or
/// a custom rule pass; none of them is a warning, or an error with
/// `require-protected-environment`. Without a token, an OIDC token or an environment, a notice
/// says the check was not made (an error when required). Returns the summary's line.
pub async fn check(
    gate: &Gate,
    req: &PublishRequest,
    commands: &Commands,
) -> Result<Option<String>, GateError> {
    let oidc = req.oidc.request_url.is_some();
    if !gate.required && !oidc {
        tracing::debug!("gate check: no OIDC token in this job, so no environment to check");
        return Ok(None);
    }
    let unchecked = |what: String, hint: &'static str| -> Result<Option<String>, GateError> {
        if gate.required {
            return Err(GateError::Unchecked { what, hint });
        }
        commands.notice(&format!("gate check not made: {what}"));
        Ok(Some(format!("not checked: {what}")))
    };
    let Some(github) = &gate.github else {
        return unchecked(
            "no GitHub `token` was given to read the environment's protection rules".into(),
            "pass `token: ${{ github.token }}` (the default) and grant the job `actions: read`",
        );
    };
    if !oidc {
        return unchecked(
            "the job has no OIDC token to tell its environment".into(),
            "grant the job `permissions: id-token: write` (trusted publishing needs it too)",
        );
    }
    let transport = req.patience.transport(commands.secrets())?;
    let audience = format!("https://github.com/{}", github.repo().owner);
    let claims = match crate::oidc::id_token(&transport, &req.oidc, &audience, commands).await {
        Ok((_, claims)) => claims,
        Err(e) => {
            return unchecked(
                format!("the job's OIDC token could not be had: {e}"),
                "re-run the job; the OIDC endpoint may be down",
            );
        }
    };
    let Some(name) = claims.environment.filter(|n| !n.is_empty()) else {
        return unchecked(
            "the job runs in no deployment environment (its OIDC token has no `environment` claim)"
                .into(),
            "add `environment: pypi` to the publishing job and protect that environment with required reviewers",
        );
    };
    let not_gated = |what: String| -> Result<Option<String>, GateError> {
        if gate.required {
            return Err(GateError::NotProtected {
                name: name.clone(),
                what,
            });
        }
        commands.warning(&format!(
            "the deployment environment `{name}` {what}, so nothing holds this publish for a person; {NOT_PROTECTED_HINT}"
        ));
        Ok(Some(format!("`{name}`: **not protected** ({what})")))
    };
    match github.environment(&name).await {
        Ok(Some(environment)) => {
            let gates = environment.gates();
            if gates.is_empty() {
                let what = match environment.branch_policy() {
                    Some(policy) => format!(
                        "has no required reviewers, wait timer or custom rule (only a branch policy: {policy})"
                    ),
                    None => "has no protection rules".to_string(),
                };
                return not_gated(what);
            }
            tracing::info!("gate check: `{name}` is protected by {}", gates.join(", "));
            Ok(Some(format!("`{name}`: protected by {}", gates.join(", "))))
        }
        Ok(None) => not_gated(format!(
            "was not found in `{}` (or the token cannot see it)",
            github.repo()
        )),
        Err(e) => unchecked(
            format!("the environment `{name}` could not be read: {e}"),
            "grant the job `actions: read` so `token` can read the environment",
        ),
    }
}
