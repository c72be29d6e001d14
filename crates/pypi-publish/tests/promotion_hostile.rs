//! Hostile servers on the promotion's two new paths: a staging index (`promote-from`) that never
//! answers, drips its page, answers HTML or JSON garbage or a body that never ends (the run ends
//! within its shortened bounds, uploads nothing, leaks no credential), and a production index
//! whose page turns hostile after the upload (the read-back ends within its bounds too).

mod common;

use std::time::Duration;

use common::hostile::{
    TOKEN, assert_failed_in_bound, assert_no_leak, basic_forms, one_wheel, publish,
};
use slipway_testkit::hostile::{Behaviour, EndlessFraming, HostileServer, Rule};

#[test]
fn a_hostile_staging_index_ends_within_its_bound_and_nothing_is_uploaded() {
    let page = r#"{"meta": {"api-version": "1.1"}, "files": []}"#.repeat(20);
    let cases: Vec<(&str, Behaviour, &[&str])> = vec![
        (
            "black hole",
            Behaviour::BlackHole,
            &["cannot read the staging index", "SLIPWAY_SILENT_TIMEOUT"],
        ),
        (
            "dripped body",
            Behaviour::Drip {
                status: 200,
                headers: vec![(
                    "content-type".into(),
                    "application/vnd.pypi.simple.v1+json".into(),
                )],
                body: page.into(),
                interval: Duration::from_millis(50),
            },
            &["cannot read the staging index", "SLIPWAY_LOW_SPEED_LIMIT"],
        ),
        (
            "HTML garbage",
            Behaviour::html(200, "<html><body><a>no href<a href=>"),
            &["not on the staging index"],
        ),
        (
            "JSON garbage",
            Behaviour::respond(200, "application/vnd.pypi.simple.v1+json", "{\"files\": 7}"),
            &["cannot read the staging index", "not a PEP 691 or PEP 503"],
        ),
        (
            "endless body",
            Behaviour::endless_body(EndlessFraming::Chunked),
            &["cannot read the staging index"],
        ),
    ];
    for (label, behaviour, needles) in cases {
        let (dir, _) = one_wheel("promoted");
        let production = common::fake::index(|_, _| None);
        let staging = HostileServer::start().with(Rule::prefix("/simple/", behaviour));
        let from = format!("{}/simple/", staging.url());
        let (out, took) = publish(
            &production.base,
            dir.path(),
            &[("promote-from", &from), ("verify-uploaded", "true")],
            &[],
        );
        let mut all = needles.to_vec();
        all.push("nothing was uploaded");
        assert_failed_in_bound(&out, took, &all);
        assert!(production.uploads().is_empty(), "{label}: nothing uploaded");
        assert!(
            staging
                .requests()
                .iter()
                .all(|r| r.authorization().is_none()),
            "{label}: production's credentials went to staging"
        );
        assert_no_leak(&out, &basic_forms("__token__", TOKEN));
    }
}

/// The read-back is bounded too: an index that takes the upload, then never answers its page
/// (or drips it), ends the run within the bounds with a hint; the file was uploaded once.
#[test]
fn a_hostile_index_page_after_the_upload_ends_the_read_back_within_its_bound() {
    for (label, behaviour) in [
        ("black hole", Behaviour::BlackHole),
        (
            "endless body",
            Behaviour::endless_body(EndlessFraming::Chunked),
        ),
    ] {
        let (dir, _) = one_wheel("readback");
        let index = HostileServer::start()
            .with(
                Rule::prefix(
                    "/simple/",
                    Behaviour::respond(404, "text/plain", "not found"),
                )
                .times(1),
            )
            .with(Rule::prefix("/simple/", behaviour))
            .with(common::hostile::ok_upload());
        let (out, took) = publish(index.url(), dir.path(), &[("verify-uploaded", "true")], &[]);
        assert_failed_in_bound(&out, took, &["read-back: cannot read the index"]);
        assert_eq!(
            common::hostile::posts(&index).len(),
            1,
            "{label}: one upload"
        );
        assert_no_leak(&out, &basic_forms("__token__", TOKEN));
    }
}
