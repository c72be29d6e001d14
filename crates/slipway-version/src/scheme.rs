//! Parsing and ordering versions under PEP 440 or SemVer, and classifying bumps.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::VersionError;

/// Which version rules to parse and order by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scheme {
    /// PEP 440, as pip and PyPI order versions (`1.0rc1 < 1.0 < 1.0.post1`).
    #[default]
    Pep440,
    /// Semantic Versioning 2.0 (`1.0.0-alpha < 1.0.0`), build metadata ignored when ordering.
    Semver,
}

impl Scheme {
    fn label(self) -> &'static str {
        match self {
            Scheme::Pep440 => "PEP 440",
            Scheme::Semver => "SemVer",
        }
    }
}

impl FromStr for Scheme {
    type Err = VersionError;

    /// Parses `pep440` or `semver` (case-insensitive).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pep440" | "pep-440" | "pep 440" => Ok(Scheme::Pep440),
            "semver" => Ok(Scheme::Semver),
            _ => Err(VersionError::InvalidRequest {
                reason: format!("unknown version scheme `{s}`"),
                hint: "use `pep440` or `semver`".to_string(),
            }),
        }
    }
}

#[derive(Debug, Clone)]
enum Parsed {
    Pep440(pep440_rs::Version),
    Semver(semver::Version),
}

/// A version as written plus its parsed form; ordered by its scheme's rules.
#[derive(Debug, Clone)]
pub struct ParsedVersion {
    text: String,
    parsed: Parsed,
}

impl ParsedVersion {
    /// Parses `text` (surrounding whitespace ignored; a leading `v` is accepted by both schemes).
    pub fn parse(text: &str, scheme: Scheme) -> Result<ParsedVersion, VersionError> {
        let trimmed = text.trim();
        let invalid = |reason: String| VersionError::InvalidVersion {
            value: text.to_string(),
            scheme: scheme.label(),
            reason,
        };
        if trimmed.is_empty() {
            return Err(invalid("it is empty".to_string()));
        }
        let parsed = match scheme {
            Scheme::Pep440 => Parsed::Pep440(
                pep440_rs::Version::from_str(trimmed).map_err(|e| invalid(e.to_string()))?,
            ),
            Scheme::Semver => {
                let bare = trimmed.strip_prefix(['v', 'V']).unwrap_or(trimmed);
                Parsed::Semver(semver::Version::parse(bare).map_err(|e| invalid(e.to_string()))?)
            }
        };
        Ok(ParsedVersion {
            text: trimmed.to_string(),
            parsed,
        })
    }

    /// The version as it was written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The scheme it was parsed under.
    pub fn scheme(&self) -> Scheme {
        match self.parsed {
            Parsed::Pep440(_) => Scheme::Pep440,
            Parsed::Semver(_) => Scheme::Semver,
        }
    }

    /// The canonical spelling (`1.0.0-RC1` → `1.0.0rc1` under PEP 440; no leading `v`).
    pub fn normalized(&self) -> String {
        match &self.parsed {
            Parsed::Pep440(v) => v.to_string(),
            Parsed::Semver(v) => v.to_string(),
        }
    }

    /// Whether this is a pre-release: alpha/beta/rc or dev under PEP 440, a `-pre` part under SemVer.
    pub fn is_prerelease(&self) -> bool {
        match &self.parsed {
            Parsed::Pep440(v) => v.any_prerelease(),
            Parsed::Semver(v) => !v.pre.is_empty(),
        }
    }
}

impl fmt::Display for ParsedVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Ord for ParsedVersion {
    /// Orders by the scheme's rules (PEP 440: `1.0 == 1.0.0`; SemVer: build metadata ignored).
    /// Versions of different schemes never compare equal: every PEP 440 version sorts first.
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.parsed, &other.parsed) {
            (Parsed::Pep440(a), Parsed::Pep440(b)) => a.cmp(b),
            (Parsed::Semver(a), Parsed::Semver(b)) => a.cmp_precedence(b),
            (Parsed::Pep440(_), Parsed::Semver(_)) => Ordering::Less,
            (Parsed::Semver(_), Parsed::Pep440(_)) => Ordering::Greater,
        }
    }
}

impl PartialOrd for ParsedVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ParsedVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ParsedVersion {}

/// The most significant part of a version that changed between two versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BumpKind {
    /// Epoch or the first release number.
    Major,
    /// The second release number.
    Minor,
    /// The third or a later release number.
    Patch,
    /// The pre-release part (alpha/beta/rc; SemVer `-pre`).
    Pre,
    /// The post-release part (PEP 440 only).
    Post,
    /// The dev-release part (PEP 440 only).
    Dev,
    /// Nothing that orders changed.
    None,
}

impl fmt::Display for BumpKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BumpKind::Major => "major",
            BumpKind::Minor => "minor",
            BumpKind::Patch => "patch",
            BumpKind::Pre => "pre",
            BumpKind::Post => "post",
            BumpKind::Dev => "dev",
            BumpKind::None => "none",
        })
    }
}

fn release_kind(index: usize) -> BumpKind {
    match index {
        0 => BumpKind::Major,
        1 => BumpKind::Minor,
        _ => BumpKind::Patch,
    }
}

/// Classifies the change from `previous` to `current` by the most significant part that differs
/// (works for downgrades too; the caller decides what a lower version means). Versions of
/// different schemes give [`BumpKind::None`].
pub fn bump_kind(previous: &ParsedVersion, current: &ParsedVersion) -> BumpKind {
    match (&previous.parsed, &current.parsed) {
        (Parsed::Pep440(a), Parsed::Pep440(b)) => {
            if a.epoch() != b.epoch() {
                return BumpKind::Major;
            }
            let len = a.release().len().max(b.release().len());
            let at = |r: &[u64], i: usize| r.get(i).copied().unwrap_or(0);
            if let Some(i) = (0..len).find(|&i| at(a.release(), i) != at(b.release(), i)) {
                return release_kind(i);
            }
            if a.pre() != b.pre() {
                BumpKind::Pre
            } else if a.post() != b.post() {
                BumpKind::Post
            } else if a.dev() != b.dev() {
                BumpKind::Dev
            } else {
                BumpKind::None
            }
        }
        (Parsed::Semver(a), Parsed::Semver(b)) => {
            if a.major != b.major {
                BumpKind::Major
            } else if a.minor != b.minor {
                BumpKind::Minor
            } else if a.patch != b.patch {
                BumpKind::Patch
            } else if a.pre != b.pre {
                BumpKind::Pre
            } else {
                BumpKind::None
            }
        }
        _ => BumpKind::None,
    }
}
