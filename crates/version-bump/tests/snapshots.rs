//! What version-bump shows its user, snapshotted (`snapshots/`): the step summary and the
//! annotations of a new version (with its dev version from the commit read through the API), and of a downgrade refused with `fail-on-downgrade`. Ports,
//! paths and timings are filtered by `slipway_testkit::snapshot`; a change of wording shows in
//! review (CONTRIBUTING.md, "Snapshots").

use slipway_testkit::github::{FakeGitHub, ReleaseSeed};
use slipway_testkit::harness::{DEFAULT_SHA, Harness};
use slipway_testkit::snapshot::Sections;

const BIN: &str = env!("CARGO_BIN_EXE_version-bump");

/// A step on a PEP 621 project at `version`, against `fake`, with fast retries.
fn step(fake: &FakeGitHub, version: &str) -> Harness {
    let h = Harness::new(BIN)
        .github(fake)
        .env("SLIPWAY_RETRY_UNIT_MS", "5");
    h.write_file(
        "pyproject.toml",
        format!("[project]\nname = \"demo\"\nversion = \"{version}\"\n"),
    );
    h
}

#[test]
fn a_new_version() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    fake.add_release(ReleaseSeed::new("v1.1.0"));
    fake.add_commit(DEFAULT_SHA, "2026-05-01T09:30:00+02:00");
    let run = step(&fake, "1.2.0").run().assert_success();
    let text = Sections::default()
        .step("1.2.0 after v1.1.0", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("new_version", text);
}

#[test]
fn a_downgrade_refused_with_fail_on_downgrade() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    fake.add_release(ReleaseSeed::new("v2.0.0"));
    let run = step(&fake, "1.9.0")
        .input("fail-on-downgrade", "true")
        .run()
        .assert_failure();
    let text = Sections::default()
        .step("1.9.0 after v2.0.0", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("downgrade_refused", text);
}
