//! The credentials of an upload, and the transport every request of a publish goes through (the
//! shared `slipway-http`: its retry policy, time bounds, redirects per request and redaction).

use secrecy::{ExposeSecret, SecretString};
use slipway_http::{Credential, RetryPolicy, TimeBounds, Transport, TransportConfig};
use slipway_runner::{Commands, Secrets};
use url::Url;

/// The `User-Agent` sent with every request.
pub const USER_AGENT: &str = concat!("slipway-pypi/", env!("CARGO_PKG_VERSION"));

/// Credentials for the upload (HTTP Basic); the password never appears in `Debug` output.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user (`__token__` for API tokens).
    pub user: String,
    /// The password or API token.
    pub password: SecretString,
}

impl Credentials {
    /// The `Authorization: Basic …` credential, sent only to `origin` (the upload URL's; the
    /// index's too when it is the same origin).
    pub fn for_origin(&self, origin: &Url) -> Credential {
        Credential::basic(&self.user, self.password.expose_secret(), origin)
    }

    /// Registers the password and its Basic-auth forms with the run's secrets and masks them
    /// in the runner's log (`::add-mask::` for each form).
    ///
    /// A password-less user is a token given as the user (`https://TOKEN@host/`): the user and
    /// the base64 of `user:` are masked then.
    pub fn register(&self, commands: &Commands) {
        let password = self.password.expose_secret();
        if password.is_empty() {
            use base64::Engine as _;
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{}:", self.user));
            for form in [self.user.as_str(), &basic, basic.trim_end_matches('=')] {
                commands.add_mask(form);
            }
        } else {
            commands.add_basic_mask(&self.user, password);
        }
    }
}

/// How patient a publish is: the one retry policy and the time bounds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patience {
    /// Retries of 5xx, 429, connection errors and stalls.
    pub retry: RetryPolicy,
    /// Connect, silent-peer, low-speed and deadline bounds.
    pub bounds: TimeBounds,
}

impl Patience {
    /// The transport for a publish, redacting with `secrets`.
    pub fn transport(&self, secrets: &Secrets) -> Result<Transport, slipway_http::HttpError> {
        Transport::new(TransportConfig {
            user_agent: USER_AGENT.to_string(),
            policy: self.retry.clone(),
            bounds: self.bounds,
            secrets: secrets.clone(),
            home: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_in_debug_and_registered_in_every_form() {
        let c = Credentials {
            user: "__token__".into(),
            password: SecretString::from("pypi-secret"),
        };
        assert!(!format!("{c:?}").contains("pypi-secret"));
        let origin = Url::parse("https://upload.pypi.org/").unwrap();
        assert!(!format!("{:?}", c.for_origin(&origin)).contains("pypi-secret"));
        let commands = Commands::new(false);
        c.register(&commands);
        assert_eq!(commands.redact("x pypi-secret x"), "x *** x");
        let basic = base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "__token__:pypi-secret",
        );
        assert_eq!(commands.redact(&format!("Basic {basic}")), "Basic ***");
        let token_as_user = Credentials {
            user: "tok-s3cret".into(),
            password: SecretString::from(""),
        };
        token_as_user.register(&commands);
        let basic =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, "tok-s3cret:");
        assert_eq!(
            commands.redact(&format!("tok-s3cret Basic {basic}")),
            "*** Basic ***"
        );
    }
}
