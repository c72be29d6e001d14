//! Shared setup for the nightly tests: a step against the fake GitHub, real dists built once,
//! a seeded channel, and the checks every test repeats.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use sha2::Digest as _;
use slipway_testkit::github::{FakeGitHub, Release, ReleaseSeed};
use slipway_testkit::harness::{Harness, RunResult};

/// The binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_nightly");
/// The repository every fake holds.
pub(crate) const REPO: &str = "octo/widgets";
/// The project the fixtures build.
pub(crate) const NAME: &str = "widgets";
/// The dev version built.
pub(crate) const VERSION: &str = "1.2.4.dev20261201123456";
/// Its tag.
pub(crate) const TAG: &str = "nightly-1.2.4.dev20261201123456";
/// One day in seconds.
pub(crate) const DAY: u64 = 86_400;

/// A fake with the one repository.
pub(crate) fn fake() -> FakeGitHub {
    FakeGitHub::with_repo(REPO)
}

/// Unix seconds now.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The real sdist and wheel of [`NAME`] at [`VERSION`], built once per test binary (hatchling).
pub(crate) fn built_dists() -> &'static PathBuf {
    static DISTS: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    &DISTS
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let dist = slipway_testkit::real::build_dists("hatchling", NAME, VERSION, dir.path());
            (dir, dist)
        })
        .1
}

/// The built dists' file names, sorted.
pub(crate) fn dist_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(built_dists())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".whl") || n.ends_with(".tar.gz"))
        .collect();
    names.sort();
    names
}

/// A step running nightly against `fake` for [`VERSION`], with fast retries and the built dists
/// in `dist/`.
pub(crate) fn step(fake: &FakeGitHub) -> Harness {
    let h = Harness::new(BIN)
        .github(fake)
        .env("SLIPWAY_RETRY_UNIT_MS", "5")
        .input("version", VERSION);
    for name in dist_names() {
        h.write_file(
            format!("dist/{name}"),
            std::fs::read(built_dists().join(&name)).unwrap(),
        );
    }
    h
}

/// SHA-256 as lowercase hex.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// The release of `tag`, if any.
pub(crate) fn release_of(fake: &FakeGitHub, tag: &str) -> Option<Release> {
    fake.releases(REPO).into_iter().find(|r| r.tag_name == tag)
}

/// The tags of the default repository, sorted.
pub(crate) fn tag_names(fake: &FakeGitHub) -> Vec<String> {
    let mut t: Vec<String> = fake.tags().into_iter().map(|(n, _)| n).collect();
    t.sort();
    t
}

/// Requests that write (create, update, delete, upload).
pub(crate) fn writes(fake: &FakeGitHub) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {} {:?}", r.method, r.path, r.route))
        .collect()
}

/// No request the fake did not know, and the token nowhere a person or a later step can see.
pub(crate) fn assert_clean(fake: &FakeGitHub, run: &RunResult) {
    assert!(
        fake.unexpected_requests().is_empty(),
        "{:#?}",
        fake.unexpected_requests()
    );
    assert!(
        !run.all_text().contains(&fake.token()),
        "the token leaked:\n{}",
        run.all_text()
    );
}

/// A channel tag of build `i` (higher `i`: newer version).
pub(crate) fn channel_tag(i: u64) -> String {
    format!("nightly-1.2.4.dev{}", 20_260_000_000_000 + i)
}

/// Seeds what the retention tests share: `n` channel builds, build `i` (1 = oldest) published
/// `age(i)` seconds ago, each with a wheel; plus two stable releases, a pre-release of another
/// prefix, a draft in the channel, and a tag a user made in the channel without a release.
pub(crate) fn seed_channel(fake: &FakeGitHub, n: u64, age: impl Fn(u64) -> u64) -> Vec<String> {
    let now = now();
    let mut tags = Vec::new();
    for i in 1..=n {
        let tag = channel_tag(i);
        let when = now - age(i);
        let id = fake.add_release(
            ReleaseSeed::new(&tag)
                .prerelease()
                .created_at(when)
                .published_at(when),
        );
        fake.add_asset(
            id,
            &format!(
                "widgets-1.2.4.dev{}-py3-none-any.whl",
                20_260_000_000_000 + i
            ),
            format!("wheel {i}").as_bytes(),
            true,
        );
        tags.push(tag);
    }
    fake.add_release(ReleaseSeed::new("v1.0.0").created_at(now - 200 * DAY));
    fake.add_release(ReleaseSeed::new("v1.2.3").created_at(now - 100 * DAY));
    fake.add_release(
        ReleaseSeed::new("edge-1.2.4.dev20250101000000")
            .prerelease()
            .created_at(now - 300 * DAY),
    );
    fake.add_release(
        ReleaseSeed::new("nightly-1.2.4.dev20250101000001")
            .prerelease()
            .draft()
            .created_at(now - 300 * DAY),
    );
    fake.add_tag("nightly-manual", "0123456789abcdef0123456789abcdef01234567");
    tags
}

/// The tags outside the nightly channel's builds that every retention run must leave.
pub(crate) const OUTSIDE: [&str; 4] = [
    "v1.0.0",
    "v1.2.3",
    "edge-1.2.4.dev20250101000000",
    "nightly-manual",
];
