//! Which builds of a nightly channel stay: the union rule ("the newest `keep-builds` OR younger
//! than `keep-days`"), never the build just made, never anything outside the channel.
//!
//! Pure functions over the release list and the tag list, so the rule is tested without a
//! server; [`super::nightly`] carries out what they decide.

use serde::Serialize;
use slipway_github::Release;
use slipway_version::{ParsedVersion, Scheme};

/// The channel: the tag template and the prefix before its `{version}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    /// The tag template (`nightly-{version}`).
    pub template: String,
    /// The part before `{version}` (`nightly-`).
    pub prefix: String,
}

impl Channel {
    /// The channel of `template`: its prefix is the text before `{version}`.
    pub fn new(template: &str) -> Self {
        let prefix = template
            .split_once("{version}")
            .map_or(template, |(before, _)| before);
        Self {
            template: template.to_string(),
            prefix: prefix.to_string(),
        }
    }

    /// The version a tag of this channel carries, parsed (PEP 440, no local part); `None` for a
    /// tag outside the channel.
    pub fn version_of(&self, tag: &str) -> Option<ParsedVersion> {
        if !tag.starts_with(&self.prefix) {
            return None;
        }
        let text = slipway_version::version_from_tag(&self.template, tag)?;
        let parsed = ParsedVersion::parse(&text, Scheme::Pep440).ok()?;
        (!parsed.normalized().contains('+')).then_some(parsed)
    }

    /// The version of a channel tag that is a dev release (`….devN`): what this tool makes.
    pub fn dev_version_of(&self, tag: &str) -> Option<ParsedVersion> {
        self.version_of(tag)
            .filter(|v| v.normalized().contains(".dev"))
    }
}

/// Why a build stays or goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reason {
    /// The build this run made (or reused): never pruned.
    Newest,
    /// Among the newest `keep-builds` by version.
    Count,
    /// Younger than `keep-days`.
    Age,
    /// Neither among the newest `keep-builds` nor younger than `keep-days`.
    Expired,
}

/// One published build of the channel and what the rule decided for it.
#[derive(Debug, Clone)]
pub struct Build {
    /// The release.
    pub release: Release,
    /// The version from its tag.
    pub version: ParsedVersion,
    /// Its age in seconds (from `published_at`, else `created_at`; 0 when neither reads).
    pub age_secs: u64,
    /// Its place by version, newest first (1 is the newest).
    pub rank: usize,
    /// Why it stays ([`Reason::Newest`], [`Reason::Count`], [`Reason::Age`]) or goes
    /// ([`Reason::Expired`]).
    pub reason: Reason,
}

impl Build {
    /// True when the build stays.
    pub fn kept(&self) -> bool {
        self.reason != Reason::Expired
    }

    /// Its age in whole days.
    pub fn age_days(&self) -> u64 {
        self.age_secs / 86_400
    }
}

/// The limits of the union rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keep {
    /// Keep the newest this many builds (by version).
    pub builds: usize,
    /// Keep every build younger than this many days.
    pub days: u64,
}

/// The channel's published pre-releases, newest version first (ties: newest creation first),
/// each with the rule's decision. `newest` is the tag this run built: it is always kept (and
/// ranked first when a dry run has not made it yet, in which case it is not listed). `now` is
/// Unix seconds.
pub fn decide(
    channel: &Channel,
    releases: &[Release],
    newest: &str,
    keep: Keep,
    now: u64,
) -> Vec<Build> {
    let mut seen = std::collections::BTreeSet::new();
    let mut builds: Vec<Build> = releases
        .iter()
        .filter(|r| !r.draft && r.prerelease && seen.insert(r.id))
        .filter_map(|r| {
            let version = channel.version_of(&r.tag_name)?;
            let when = r
                .published_at
                .as_deref()
                .or(r.created_at.as_deref())
                .and_then(unix_seconds);
            Some(Build {
                release: r.clone(),
                version,
                age_secs: when.map_or(0, |t| now.saturating_sub(t)),
                rank: 0,
                reason: Reason::Expired,
            })
        })
        .collect();
    builds.sort_by(|a, b| {
        let newest_first = |x: &Build| x.release.tag_name != newest;
        newest_first(a)
            .cmp(&newest_first(b))
            .then_with(|| b.version.cmp(&a.version))
            .then_with(|| b.release.created_at.cmp(&a.release.created_at))
            .then_with(|| b.release.id.cmp(&a.release.id))
    });
    // The build just made takes the first place even when a dry run has not created it yet.
    let offset = usize::from(!builds.iter().any(|b| b.release.tag_name == newest));
    for (i, b) in builds.iter_mut().enumerate() {
        b.rank = i + 1 + offset;
        b.reason = if b.release.tag_name == newest {
            Reason::Newest
        } else if b.rank <= keep.builds {
            Reason::Count
        } else if b.age_secs < keep.days.saturating_mul(86_400) {
            Reason::Age
        } else {
            Reason::Expired
        };
    }
    builds
}

/// Tags a crashed prune left behind: channel tags with a dev version, no release of any kind,
/// and a version below the oldest kept build's. Anything else without a release (a tag a user
/// made, a newer one) is left alone.
pub fn orphan_tags(
    channel: &Channel,
    tags: &[String],
    releases: &[Release],
    kept: &[&Build],
) -> Vec<String> {
    let Some(oldest) = kept.iter().map(|b| &b.version).min() else {
        return Vec::new();
    };
    let mut orphans: Vec<String> = tags
        .iter()
        .filter(|t| !releases.iter().any(|r| &r.tag_name == *t))
        .filter(|t| channel.dev_version_of(t).is_some_and(|v| &v < oldest))
        .cloned()
        .collect();
    orphans.sort();
    orphans.dedup();
    orphans
}

/// Unix seconds of an RFC 3339 UTC time as GitHub writes it (`2026-12-01T12:34:56Z`, fractions
/// and offsets accepted); `None` when it does not read.
pub fn unix_seconds(text: &str) -> Option<u64> {
    u64::try_from(slipway_time::parse_rfc3339(text).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(id: u64, tag: &str, prerelease: bool, published: u64) -> Release {
        let when = rfc3339(published);
        serde_json::from_value(serde_json::json!({
            "id": id, "tag_name": tag, "draft": false, "prerelease": prerelease,
            "created_at": when, "published_at": when,
        }))
        .unwrap()
    }

    /// `secs` as GitHub writes times.
    fn rfc3339(secs: u64) -> String {
        slipway_time::Utc::from_unix(i64::try_from(secs).unwrap()).rfc3339()
    }

    #[test]
    fn rfc3339_reads_as_github_writes_it() {
        assert_eq!(unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(unix_seconds("2026-12-01T12:34:56Z"), Some(1_796_128_496));
        assert_eq!(
            unix_seconds("2026-12-01T13:34:56.123+01:00"),
            Some(1_796_128_496)
        );
        assert_eq!(unix_seconds("yesterday"), None);
        assert_eq!(unix_seconds("2024-02-29T23:59:59Z"), Some(1_709_251_199));
    }

    #[test]
    fn the_prefix_is_what_comes_before_the_version() {
        let c = Channel::new("nightly-{version}");
        assert_eq!(c.prefix, "nightly-");
        assert!(
            c.dev_version_of("nightly-1.2.4.dev20261201123456")
                .is_some()
        );
        assert!(c.dev_version_of("nightly-1.2.4").is_none());
        assert!(c.version_of("nightly-1.2.4+g12").is_none());
        assert!(c.version_of("edge-1.2.4.dev1").is_none());
        assert!(c.version_of("nightly-manual").is_none());
    }

    #[test]
    fn the_union_of_count_and_age_stays() {
        let c = Channel::new("nightly-{version}");
        let now = unix_seconds("2026-01-20T00:00:00Z").unwrap();
        // Build i is i days old, versions fall with age.
        let releases: Vec<Release> = (0..10u64)
            .map(|i| {
                let tag = format!("nightly-1.0.0.dev{}", 100 - i);
                release(i + 1, &tag, true, now - i * 86_400 - 60)
            })
            .chain([release(99, "v0.9.0", false, now - 15 * 86_400)])
            .collect();
        let builds = decide(
            &c,
            &releases,
            "nightly-1.0.0.dev100",
            Keep { builds: 3, days: 5 },
            now,
        );
        let reasons: Vec<Reason> = builds.iter().map(|b| b.reason).collect();
        use Reason::{Age, Count, Expired, Newest};
        assert_eq!(
            reasons,
            [
                Newest, Count, Count, Age, Age, Expired, Expired, Expired, Expired, Expired
            ]
        );
        let kept: Vec<&Build> = builds.iter().filter(|b| b.kept()).collect();
        let tags = [
            "nightly-1.0.0.dev1".to_string(),
            "nightly-1.0.0.dev99".to_string(),
            "nightly-1.0.0.dev200".to_string(),
            "nightly-manual".to_string(),
        ];
        assert_eq!(
            orphan_tags(&c, &tags, &releases, &kept),
            ["nightly-1.0.0.dev1"]
        );
    }
}
