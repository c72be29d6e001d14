//! The union rule against a seeded channel: 45 builds whose ages spread over 90 days, two stable
//! releases, a pre-release of another prefix, a draft in the channel and a tag a user made.
//! Exactly the builds among the newest `keep-builds` OR younger than `keep-days` survive (with
//! the build just made), and nothing outside the channel is touched.

mod common;

use common::*;

/// Runs nightly with `keep` over the seeded channel (build `i` is `age(i)` old) and checks the
/// survivors against the rule computed here independently; returns (kept, pruned) counts.
fn check(builds: &str, days: &str, age: impl Fn(u64) -> u64) -> (usize, usize) {
    let fake = fake();
    let tags = seed_channel(&fake, 45, &age);
    let run = step(&fake)
        .input("keep-builds", builds)
        .input("keep-days", days)
        .run()
        .assert_success();
    let (n, d): (u64, u64) = (builds.parse().unwrap(), days.parse().unwrap());
    // Build i has rank 47 - i (this build is first); survivors: rank <= n or age < d days.
    let survives = |i: u64| 47 - i <= n || age(i) < d * DAY;
    let mut expected_kept = vec![TAG.to_string()];
    let mut expected_pruned = Vec::new();
    for i in (1..=45u64).rev() {
        let tag = tags[usize::try_from(i - 1).unwrap()].clone();
        if survives(i) {
            expected_kept.push(tag);
        } else {
            expected_pruned.push(tag);
        }
    }
    expected_pruned.reverse();
    let kept: Vec<String> = serde_json::from_value(run.output_json("kept")).unwrap();
    let mut pruned: Vec<String> = serde_json::from_value(run.output_json("pruned")).unwrap();
    pruned.sort();
    assert_eq!(kept, expected_kept);
    assert_eq!(pruned, expected_pruned);
    for t in &expected_kept {
        assert!(release_of(&fake, t).is_some(), "{t}");
        assert!(tag_names(&fake).contains(t), "{t}");
    }
    for t in &expected_pruned {
        assert!(release_of(&fake, t).is_none(), "{t}");
        assert!(!tag_names(&fake).contains(t), "{t}");
    }
    for t in OUTSIDE {
        assert!(tag_names(&fake).contains(&t.to_string()), "{t}");
    }
    assert!(
        release_of(&fake, "nightly-1.2.4.dev20250101000001").is_some_and(|r| r.draft),
        "the channel's draft is not a build"
    );
    assert_eq!(fake.releases(REPO).len(), 4 + kept.len());
    assert!(run.summary.contains("**Kept:**"), "{}", run.summary);
    assert_clean(&fake, &run);
    (kept.len(), pruned.len())
}

/// Build i (1 = oldest) every 2 days back from an hour ago: 88 days for the oldest.
fn every_other_day(i: u64) -> u64 {
    (45 - i) * 2 * DAY + 3600
}

#[test]
fn thirty_builds_or_thirty_days() {
    // Newest 30 by version (this build and 29 seeded) cover the 15 younger than 30 days.
    assert_eq!(check("30", "30", every_other_day), (30, 16));
}

#[test]
fn five_builds_or_ten_days() {
    // Age wins: 5 seeded builds are younger than 10 days, beyond the newest 5 (4 seeded).
    assert_eq!(check("5", "10", every_other_day), (6, 40));
}

#[test]
fn when_every_build_is_old_the_newest_keep_builds_stay() {
    // Every seeded build is 3 days or more old, keep-days 2: the newest 10 survive.
    assert_eq!(check("10", "2", |i| every_other_day(i) + 3 * DAY), (10, 36));
}
