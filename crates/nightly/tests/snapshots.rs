//! What nightly shows its user, snapshotted (`snapshots/`): the step summary of a build that
//! prunes a seeded channel (kept by count and by age, pruned with why). Ports, paths, timings
//! and dates are filtered by `slipway_testkit::snapshot`.

mod common;

use common::*;
use slipway_testkit::snapshot::Sections;

#[test]
fn a_build_that_prunes_the_channel() {
    let fake = fake();
    seed_channel(&fake, 6, |i| (6 - i) * 10 * DAY + 3600);
    let run = step(&fake)
        .input("keep-builds", "2")
        .input("keep-days", "25")
        .run()
        .assert_success();
    assert_clean(&fake, &run);
    let text = Sections::default()
        .step("prune", &run.summary, &run.stdout)
        .text();
    insta::assert_snapshot!("prune", text);
}
