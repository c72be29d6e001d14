//! `latest: true` is GitHub's own latest release (`GET /releases/latest`, which follows
//! `make_latest`), not the newest published release in the list.

mod common;

use common::{assert_clean, entries, step};
use slipway_testkit::github::{FakeGitHub, MakeLatest, ReleaseSeed, RouteKind};

#[test]
fn a_backport_published_after_the_latest_with_make_latest_false_is_not_latest() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let current = fake.add_release(ReleaseSeed::new("v2.0.0"));
    fake.add_asset(current, "demo-2.0.0.tar.gz", b"two", true);
    // Published later, newest in the list, but GitHub keeps 2.0.0 as latest.
    let backport = fake.add_release(ReleaseSeed::new("v1.9.1").make_latest(MakeLatest::False));
    fake.add_asset(backport, "demo-1.9.1.tar.gz", b"backport", true);
    assert_eq!(fake.releases("octo/demo")[0].id, backport, "newest first");

    let h = step(&fake).input("latest", "true");
    let r = h.run().assert_success();
    assert_eq!(
        (r.output("tag"), r.output("release-id")),
        ("v2.0.0", current.to_string().as_str())
    );
    assert_eq!(entries(&h.workspace().join("dist")), ["demo-2.0.0.tar.gz"]);
    assert_eq!(fake.requests_to(RouteKind::LatestRelease).len(), 1);
    assert!(
        fake.requests_to(RouteKind::ListReleases).is_empty(),
        "latest is GitHub's answer, not a pick from the list"
    );
    assert_clean(&fake, &r);
}

#[test]
fn no_latest_release_is_an_error_with_a_hint() {
    let fake = FakeGitHub::with_repo("octo/demo");
    fake.add_release(ReleaseSeed::new("v1.0.0rc1").prerelease());
    fake.add_release(ReleaseSeed::new("v1.0.0").draft());
    let r = step(&fake).input("latest", "true").run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(
        err.contains("`octo/demo` has no published release that is not a prerelease"),
        "{err}"
    );
    assert!(err.contains("hint:"), "{err}");
    assert_clean(&fake, &r);
}
