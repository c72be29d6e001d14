//! Dev versions: a version that sorts just above a given one and below its next release, for
//! builds between releases (nightlies), numbered by the commit's time.
//!
//! The rules (PEP 440; the local part is always dropped, the epoch always kept):
//!
//! | version | dev version |
//! |---|---|
//! | `1.2.3` (a release: the last release segment + 1, the segment count kept) | `1.2.4.dev<N>` |
//! | `1.2` | `1.3.dev<N>` |
//! | `1.3.0rc1` (a pre-release: the pre-release number + 1) | `1.3.0rc2.dev<N>` |
//! | `1.2.3.post1` (a post-release: the post number + 1) | `1.2.3.post2.dev<N>` |
//! | `1.2.3.dev4` (a dev release: its dev number replaced, only by a higher one) | `1.2.3.dev<N>` |
//! | `1!2.0` | `1!2.1.dev<N>` |
//! | `1.2.3+local.7` | `1.2.4.dev<N>` |
//!
//! SemVer (`scheme: semver`): a release gets the next patch and a `dev.<N>` pre-release
//! (`1.2.3` → `1.2.4-dev.<N>`); a pre-release gets `.dev.<N>` appended (`1.3.0-rc.1` →
//! `1.3.0-rc.1.dev.<N>`, above `-rc.1`, below `-rc.2` and `1.3.0`); build metadata is dropped.

use std::str::FromStr;

use crate::{ParsedVersion, Scheme, VersionError};

/// The dev version of `version` numbered `n` (see the module's rules); an error when `version`
/// is itself a dev release with a number not below `n`.
pub fn dev_version(version: &ParsedVersion, n: u64) -> Result<String, VersionError> {
    match version.scheme() {
        Scheme::Pep440 => pep440_dev(version.as_str(), n),
        Scheme::Semver => semver_dev(version.as_str(), n),
    }
}

fn pep440_dev(text: &str, n: u64) -> Result<String, VersionError> {
    let v = pep440_rs::Version::from_str(text).map_err(|e| VersionError::InvalidVersion {
        value: text.to_string(),
        scheme: "PEP 440",
        reason: e.to_string(),
    })?;
    let mut out = String::new();
    if v.epoch() != 0 {
        out.push_str(&format!("{}!", v.epoch()));
    }
    let mut release: Vec<u64> = v.release().to_vec();
    let (pre, post) = (v.pre(), v.post());
    let dev = v.dev();
    if dev.is_none()
        && post.is_none()
        && pre.is_none()
        && let Some(last) = release.last_mut()
    {
        *last += 1;
    }
    let joined: Vec<String> = release.iter().map(u64::to_string).collect();
    out.push_str(&joined.join("."));
    if let Some(pre) = pre {
        let bump = u64::from(dev.is_none() && post.is_none());
        out.push_str(&format!("{}{}", pre.kind, pre.number + bump));
    }
    if let Some(post) = post {
        out.push_str(&format!(".post{}", post + u64::from(dev.is_none())));
    }
    if let Some(old) = dev
        && old >= n
    {
        return Err(VersionError::InvalidRequest {
            reason: format!(
                "`{text}` is a dev release numbered {old}, not below the dev number {n}, so `…dev{n}` would not sort above it"
            ),
            hint: "write a version without `.devN` in source (the dev version is computed from it), or give a higher `dev-number`".to_string(),
        });
    }
    out.push_str(&format!(".dev{n}"));
    Ok(out)
}

fn semver_dev(text: &str, n: u64) -> Result<String, VersionError> {
    let bare = text.strip_prefix(['v', 'V']).unwrap_or(text);
    let mut v = semver::Version::parse(bare).map_err(|e| VersionError::InvalidVersion {
        value: text.to_string(),
        scheme: "SemVer",
        reason: e.to_string(),
    })?;
    v.build = semver::BuildMetadata::EMPTY;
    let pre = if v.pre.is_empty() {
        v.patch += 1;
        format!("dev.{n}")
    } else {
        format!("{}.dev.{n}", v.pre)
    };
    v.pre = semver::Prerelease::new(&pre).map_err(|e| VersionError::InvalidVersion {
        value: pre.clone(),
        scheme: "SemVer",
        reason: e.to_string(),
    })?;
    Ok(v.to_string())
}

/// The dev number of a commit time: the ISO 8601 time (`2026-05-01T09:30:00+02:00`,
/// `…Z`, fractions ignored) in UTC as the digits `yyyymmddhhmmss` (`20260501073000`).
pub fn dev_number_from_time(iso: &str) -> Result<u64, VersionError> {
    let bad = |why: &str| VersionError::InvalidRequest {
        reason: format!("`{iso}` is not an ISO 8601 time with an offset: {why}"),
        hint: "a commit time looks like `2026-05-01T09:30:00+02:00` or `2026-05-01T07:30:00Z`"
            .to_string(),
    };
    let secs = slipway_time::parse_rfc3339(iso).map_err(bad)?;
    slipway_time::Utc::from_unix(secs)
        .digits()
        .parse()
        .map_err(|_| bad("the year is out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(v: &str, scheme: Scheme) -> String {
        dev_version(
            &ParsedVersion::parse(v, scheme).unwrap(),
            20_260_501_073_000,
        )
        .unwrap()
    }

    #[test]
    fn pep440_rules() {
        for (v, want) in [
            ("1.2.3", "1.2.4.dev20260501073000"),
            ("1.2", "1.3.dev20260501073000"),
            ("1.3.0rc1", "1.3.0rc2.dev20260501073000"),
            ("1.3.0-RC1", "1.3.0rc2.dev20260501073000"),
            ("1.2.3.post1", "1.2.3.post2.dev20260501073000"),
            ("1.2.3.dev4", "1.2.3.dev20260501073000"),
            ("1.2.3rc1.dev4", "1.2.3rc1.dev20260501073000"),
            ("1.2.3.post1.dev4", "1.2.3.post1.dev20260501073000"),
            ("1!2.0", "1!2.1.dev20260501073000"),
            ("1.2.3+local.7", "1.2.4.dev20260501073000"),
        ] {
            assert_eq!(dev(v, Scheme::Pep440), want, "{v}");
        }
        let high = ParsedVersion::parse("1.0.dev99999999999999", Scheme::Pep440).unwrap();
        let err = dev_version(&high, 5).unwrap_err().to_string();
        assert!(
            err.contains("`1.0.dev99999999999999`") && err.contains("hint:"),
            "{err}"
        );
    }

    #[test]
    fn semver_rules() {
        assert_eq!(dev("1.2.3", Scheme::Semver), "1.2.4-dev.20260501073000");
        assert_eq!(
            dev("1.3.0-rc.1+b5", Scheme::Semver),
            "1.3.0-rc.1.dev.20260501073000"
        );
    }

    #[test]
    fn times_in_utc() {
        for (t, want) in [
            ("2026-05-01T09:30:00+02:00", 20_260_501_073_000),
            ("2026-05-01T07:30:00Z", 20_260_501_073_000),
            ("2007-10-29T02:42:39.000-07:00", 20_071_029_094_239),
            ("2026-01-01T01:00:00+05:30", 20_251_231_193_000),
            ("2024-02-29T23:59:59-01:00", 20_240_301_005_959),
        ] {
            assert_eq!(dev_number_from_time(t).unwrap(), want, "{t}");
        }
        for bad in [
            "",
            "2026-05-01",
            "2026-05-01T07:30:00",
            "2026-13-01T00:00:00Z",
        ] {
            let e = dev_number_from_time(bad).unwrap_err().to_string();
            assert!(e.contains("hint:"), "{e}");
        }
    }
}
