//! nightly against hostile servers in front of the fake GitHub: retention deletes releases and
//! tags, so a release list that never ends or loops must prune nothing; peers that black-hole or
//! drip end the run within the shortened bounds; an error page echoing the token shows none of it.

mod common;

use common::*;
use slipway_testkit::harness::Harness;
use slipway_testkit::hostile::{
    self, Behaviour, EchoFormat, HostileServer, Paging, Rule, WITHIN, timed,
};

/// The release list (paged).
const LIST: &str = "/repos/octo/widgets/releases";
/// A step through `api` (as `api-url`) with short bounds, pruning to 5 builds / 1 day.
fn through(fake: &slipway_testkit::github::FakeGitHub, api: &HostileServer) -> Harness {
    step(fake)
        .input("api-url", api.url())
        .input("keep-builds", "5")
        .input("keep-days", "1")
        .short_bounds()
}

fn deletes(api: &HostileServer) -> Vec<String> {
    api.requests()
        .iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.target.clone())
        .collect()
}

#[test]
fn a_release_list_that_never_ends_prunes_nothing() {
    let fake = fake();
    let seeded = seed_channel(&fake, 12, |i| (13 - i) * 3 * DAY);
    let api = HostileServer::proxy(fake.api_url());
    let endless = api.add(Rule::exact(LIST, Behaviour::Paging(Paging::Endless)).method("GET"));
    let (run, took) = timed(&through(&fake, &api));
    let run = run.assert_failure();
    assert!(took < WITHIN, "took {took:?}");
    assert!(
        run.stderr.contains("the list goes on past 100 pages") && run.stderr.contains("hint: "),
        "{}",
        run.stderr
    );
    assert_eq!(api.hits(endless), 100);
    assert_eq!(deletes(&api), Vec::<String>::new());
    for tag in &seeded {
        assert!(release_of(&fake, tag).is_some(), "`{tag}` was pruned");
    }
}

#[test]
fn a_release_list_that_links_back_to_its_first_page_prunes_nothing() {
    let fake = fake();
    // More than one page of releases (30 a page), so the list has a `Link` to follow.
    let seeded = seed_channel(&fake, 40, |i| (41 - i) * 2 * DAY);
    let api = HostileServer::proxy(fake.api_url());
    api.add(Rule::exact(LIST, Behaviour::Paging(Paging::LoopTo(1))).method("GET"));
    let run = through(&fake, &api).run().assert_failure();
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
    assert_eq!(deletes(&api), Vec::<String>::new());
    for tag in &seeded {
        assert!(release_of(&fake, tag).is_some(), "`{tag}` was pruned");
    }
}

#[test]
fn a_black_holed_api_ends_within_the_bounds_naming_the_silent_peer_rule() {
    let fake = fake();
    hostile::assert_black_hole_ends_in_time(|api| through(&fake, api));
}

#[test]
fn a_dripping_api_ends_within_the_bounds_naming_the_low_speed_rule() {
    let fake = fake();
    hostile::assert_drip_ends_in_time(|api| through(&fake, api));
}

#[test]
fn a_token_echoed_by_an_error_page_never_shows() {
    let token = r#"ghs_Qu"ote\Back\\slash0123456789"#;
    for (status, format) in [(403, EchoFormat::Json), (500, EchoFormat::Html)] {
        let fake = hostile::github_with_token(token, REPO);
        let api = hostile::echoing_api(&fake, status, format);
        let run = through(&fake, &api).run().assert_failure();
        assert!(api.saw(token), "the page echoed the token it was sent");
        assert_eq!(
            run.leaks(token),
            Vec::<String>::new(),
            "{status} {format:?}:\n{}",
            run.all_text()
        );
    }
}
