//! `dev-version`, run the way the runner runs it: the number comes from the push event's head
//! commit time, else the commit read through the API (the fake GitHub), else `dev-number`; every
//! dev version made from a table of versions is checked with Python's `packaging` to sort above
//! the version and below its next release, without a local part.

use std::process::Command;

use serde_json::json;
use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::{DEFAULT_SHA, Harness, RunResult};
use slipway_testkit::real;

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");

fn project(version: &str) -> Harness {
    let h = Harness::new(BIN).env("SLIPWAY_RETRY_UNIT_MS", "5");
    h.write_file(
        "pyproject.toml",
        format!("[project]\nname = \"demo\"\nversion = \"{version}\"\n"),
    );
    h
}

/// A push of `DEFAULT_SHA` committed at `time`, with no request to GitHub.
fn pushed(version: &str, time: &str) -> RunResult {
    project(version)
        .input("compare-to", "none")
        .event(
            "push",
            json!({ "after": DEFAULT_SHA, "head_commit": { "id": DEFAULT_SHA, "timestamp": time } }),
        )
        .run()
        .assert_success()
}

#[test]
fn dev_versions_sort_between_the_version_and_its_next_release_as_packaging_orders_them() {
    // (version in source, the dev version, the next release it must stay below)
    let table = [
        ("1.2.3", "1.2.4.dev20260501073000", "1.2.4"),
        ("1.2", "1.3.dev20260501073000", "1.3"),
        ("2024.08.30", "2024.8.31.dev20260501073000", "2024.8.31"),
        ("1.3.0rc1", "1.3.0rc2.dev20260501073000", "1.3.0rc2"),
        ("1.0.0-beta.2", "1.0.0b3.dev20260501073000", "1.0.0b3"),
        (
            "1.2.3.post1",
            "1.2.3.post2.dev20260501073000",
            "1.2.3.post2",
        ),
        (
            "1.0rc1.post1",
            "1.0rc1.post2.dev20260501073000",
            "1.0rc1.post2",
        ),
        ("1.2.3.dev4", "1.2.3.dev20260501073000", "1.2.3"),
        ("1.2.3rc1.dev4", "1.2.3rc1.dev20260501073000", "1.2.3rc1"),
        ("1!2.0", "1!2.1.dev20260501073000", "1!2.1"),
        ("1.2.3+local.7", "1.2.4.dev20260501073000", "1.2.4"),
    ];
    let mut rows = Vec::new();
    for (version, want, next) in table {
        let r = pushed(version, "2026-05-01T09:30:00+02:00");
        assert_eq!(r.output("dev-version"), want, "{version}");
        rows.push(json!([version, r.output("dev-version"), next]));
    }
    let script = r#"
import json, sys
from packaging.version import Version
bad = []
for version, dev, nxt in json.loads(sys.argv[1]):
    v, d, n = Version(version), Version(dev), Version(nxt)
    if not (v < d < n) or d.local is not None or not d.is_devrelease or str(d) != dev:
        bad.append((version, dev, nxt))
print(json.dumps(bad))
"#;
    let out = Command::new(real::tool("python"))
        .args(["-c", script, &serde_json::to_string(&rows).unwrap()])
        .output()
        .expect("the venv's python (scripts/setup-tools)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "[]");
}

#[test]
fn the_same_commit_gives_the_same_dev_version_and_an_offset_becomes_utc_digits() {
    let first = pushed("1.2.3", "2026-05-01T23:30:00-07:00");
    let again = pushed("1.2.3", "2026-05-01T23:30:00-07:00");
    assert_eq!(first.output("dev-version"), "1.2.4.dev20260502063000");
    assert_eq!(again.output("dev-version"), first.output("dev-version"));
    // The same instant written in UTC gives the same digits.
    let utc = pushed("1.2.3", "2026-05-02T06:30:00Z");
    assert_eq!(utc.output("dev-version"), first.output("dev-version"));
}

#[test]
fn without_a_push_event_the_commit_time_is_read_through_the_api() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_commit(DEFAULT_SHA, "2026-05-01T12:00:00+05:30");
    let run = || {
        project("1.2.3")
            .github(&fake)
            .event("schedule", json!({ "schedule": "0 3 * * *" }))
            .run()
            .assert_success()
    };
    let (first, again) = (run(), run());
    assert_eq!(first.output("dev-version"), "1.2.4.dev20260501063000");
    assert_eq!(again.output("dev-version"), first.output("dev-version"));
    assert!(
        first.summary.contains("`1.2.4.dev20260501063000`"),
        "{}",
        first.summary
    );
    // A push of another commit than the one being built is not used: the API is asked.
    let other = project("1.2.3")
        .github(&fake)
        .event(
            "push",
            json!({ "head_commit": { "id": "0000000000000000000000000000000000000001", "timestamp": "2020-01-01T00:00:00Z" } }),
        )
        .run()
        .assert_success();
    assert_eq!(other.output("dev-version"), "1.2.4.dev20260501063000");
}

#[test]
fn dev_number_wins_and_without_any_time_the_dev_version_is_empty_with_a_notice() {
    let r = project("1.2.3")
        .input("compare-to", "none")
        .input("dev-number", "42")
        .run()
        .assert_success();
    assert_eq!(r.output("dev-version"), "1.2.4.dev42");

    let r = project("1.2.3")
        .input("compare-to", "none")
        .run()
        .assert_success();
    assert_eq!(r.output("dev-version"), "");
    assert!(
        r.stdout
            .contains("::notice::no dev version: the commit's time is unknown"),
        "{}",
        r.stdout
    );

    let fake = FakeGitHub::with_repo("octo/demo");
    let r = project("1.2.3").github(&fake).run().assert_success();
    assert_eq!(r.output("dev-version"), "");
    assert!(
        r.stdout.contains("was not found in the repository"),
        "{}",
        r.stdout
    );
}

#[test]
fn semver_dev_versions_are_semver_pre_releases() {
    let r = project("1.2.3")
        .input("scheme", "semver")
        .input("compare-to", "none")
        .input("dev-number", "20260501073000")
        .run()
        .assert_success();
    assert_eq!(r.output("dev-version"), "1.2.4-dev.20260501073000");
}
