//! The one redaction layer: every secret a run knows, in every form it can take in text a server
//! sends back or a URL shows, replaced before anything is printed, logged or summarised.
//!
//! A secret is registered once ([`Secrets::add`]); its JSON-escaped and percent-encoded forms are
//! registered with it, and callers add derived forms that need more context (the Basic-auth
//! base64 of `user:password`, [`Secrets::add_basic`]). Clones share one list.

use std::sync::{Arc, Mutex};

use base64::Engine as _;

/// What replaces a secret in text.
pub const REDACTED: &str = "***";

/// The secrets of this run, shared by every clone (the workflow commands, the HTTP transport).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    forms: Arc<Mutex<Vec<String>>>,
}

/// The forms a secret takes in text: itself, JSON-escaped (a server quoting a JSON body), and
/// percent-encoded (a URL or a form).
fn forms_of(secret: &str) -> Vec<String> {
    let mut forms = vec![secret.to_string()];
    if let Ok(json) = serde_json::to_string(secret) {
        forms.push(json[1..json.len() - 1].to_string());
    }
    forms.push(percent_encode(secret));
    forms.dedup();
    forms
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Secrets {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `secret` (trimmed; blank is ignored) and its derived forms; returns the forms
    /// that were new, so the caller can mask them in the runner's log too.
    pub fn add(&self, secret: &str) -> Vec<String> {
        let secret = secret.trim();
        if secret.is_empty() {
            return Vec::new();
        }
        self.add_forms(forms_of(secret))
    }

    /// Registers the `Authorization: Basic` forms of `user:password`: the base64 text (padded
    /// and unpadded) as well as the password itself.
    pub fn add_basic(&self, user: &str, password: &str) -> Vec<String> {
        let mut new = self.add(password);
        if password.trim().is_empty() {
            return new;
        }
        let raw = format!("{user}:{password}");
        let padded = base64::engine::general_purpose::STANDARD.encode(&raw);
        let bare = padded.trim_end_matches('=').to_string();
        new.extend(self.add_forms(vec![padded, bare]));
        new
    }

    fn add_forms(&self, forms: Vec<String>) -> Vec<String> {
        let mut list = self
            .forms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut new = Vec::new();
        for form in forms {
            if form.is_empty() || list.contains(&form) {
                continue;
            }
            list.push(form.clone());
            new.push(form);
        }
        // Longest first, so a form containing another is replaced whole.
        list.sort_by_key(|m| std::cmp::Reverse(m.len()));
        new
    }

    /// `text` with every registered form replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let list = self
            .forms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = text.to_string();
        for form in list.iter() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), REDACTED);
            }
        }
        out
    }

    /// True when no secret is registered.
    pub fn is_empty(&self) -> bool {
        self.forms.lock().map(|l| l.is_empty()).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_is_redacted() {
        let s = Secrets::new();
        s.add(r#"tok"en\x y"#);
        let echoed = r#"{"token":"tok\"en\\x y"} url=tok%22en%5Cx%20y raw=tok"en\x y"#;
        assert_eq!(s.redact(echoed), r#"{"token":"***"} url=*** raw=***"#);
    }

    #[test]
    fn basic_auth_forms() {
        let s = Secrets::new();
        s.add_basic("__token__", "pypi-AgEIcHlwaS5vcmc");
        let b64 =
            base64::engine::general_purpose::STANDARD.encode("__token__:pypi-AgEIcHlwaS5vcmc");
        let text = format!("Authorization: Basic {b64}");
        assert_eq!(s.redact(&text), "Authorization: Basic ***");
        assert!(s.redact("__token__ is the user").contains("__token__"));
    }

    #[test]
    fn blank_values_are_not_secrets() {
        let s = Secrets::new();
        assert!(s.add("  ").is_empty());
        assert!(s.is_empty());
        assert_eq!(s.add(" abc "), vec!["abc".to_string()]);
        assert_eq!(s.redact("x abc y"), "x *** y");
    }

    #[test]
    fn longest_first() {
        let s = Secrets::new();
        s.add("abcd");
        s.add("abcdefgh");
        assert_eq!(s.redact("x abcdefgh y abcd"), "x *** y ***");
    }
}
