//! Uploads side by side (`max-parallel`), measured by the index double: never more at once than
//! asked, the first file of a release alone, the project's page read once, the outputs in the
//! files' order, and a failure in the middle of a batch that a re-run finishes with each file
//! on the index once.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use common::fake::{self, Fake, Reply};
use common::handmade::zip;
use slipway_testkit::serve::most_at_once;

/// Twelve platform wheels of `para` 1.0 (each with its own bytes and a WHEEL tag matching its
/// name); returns their file names, sorted.
fn twelve_wheels(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    for n in 10..22 {
        let tag = format!("cp3{n}-cp3{n}-manylinux_2_17_x86_64");
        let filename = format!("para-1.0-{tag}.whl");
        let info = "para-1.0.dist-info";
        let mut members = vec![
            (
                format!("para/build_{n}.txt"),
                format!("built for {tag}\n").repeat(2000).into_bytes(),
            ),
            (
                format!("{info}/METADATA"),
                b"Metadata-Version: 2.1\nName: para\nVersion: 1.0\nSummary: parallel uploads\n"
                    .to_vec(),
            ),
            (
                format!("{info}/WHEEL"),
                format!(
                    "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\nTag: {tag}\n"
                )
                .into_bytes(),
            ),
        ];
        let mut record: String = members.iter().map(|(m, _)| format!("{m},,\n")).collect();
        record.push_str(&format!("{info}/RECORD,,\n"));
        members.push((format!("{info}/RECORD"), record.into_bytes()));
        zip(
            &dir.join(&filename),
            &members,
            zip::CompressionMethod::Deflated,
        );
        names.push(filename);
    }
    names.sort();
    names
}

/// The file name in an upload's multipart form.
fn uploaded_name(req: &fake::Request) -> String {
    let head = String::from_utf8_lossy(&req.body[..req.body.len().min(100_000)]).into_owned();
    slipway_testkit::serve::quoted(&head, "filename").to_string()
}

#[test]
fn at_most_max_parallel_at_once_the_first_alone_and_the_page_read_once() {
    for (max_parallel, expected) in [("3", 3), ("1", 1)] {
        let dir = tempfile::tempdir().unwrap();
        let names = twelve_wheels(dir.path());
        let index = fake::index(|_, _| None);
        index.hold_uploads(Duration::from_millis(120));
        let out = fake::publish(&index, dir.path(), &[("max-parallel", max_parallel)]);
        out.assert_ok();
        assert_eq!(out.list("uploaded"), names, "in the files' order");
        let flights = index.uploads_in_flight();
        assert_eq!(flights.len(), 12);
        assert_eq!(
            most_at_once(flights.iter().copied()),
            expected,
            "max-parallel {max_parallel}"
        );
        // The first upload was answered before any other one arrived.
        let first = flights.iter().min_by_key(|(start, _)| *start).unwrap();
        assert!(
            flights
                .iter()
                .filter(|f| *f != first)
                .all(|(start, _)| *start >= first.1),
            "the first file did not go alone"
        );
        let page_reads = index
            .requests()
            .iter()
            .filter(|r| r.method == "GET" && r.path.starts_with("/simple/"))
            .count();
        assert_eq!(page_reads, 1, "the project's page is read once");
    }
}

#[test]
fn a_failure_mid_batch_starts_nothing_new_and_a_rerun_puts_each_file_on_the_index_once() {
    let dir = tempfile::tempdir().unwrap();
    let names = twelve_wheels(dir.path());
    // The fifth upload ever is refused with a final answer; every other one is taken.
    let mut uploads = 0;
    let index = fake::index(move |req, _| {
        if Fake::is_upload(req) {
            uploads += 1;
            if uploads == 5 {
                return Some(Reply::new(400, "text/plain", "400 Invalid distribution"));
            }
        }
        None
    });
    index.hold_uploads(Duration::from_millis(100));
    let out = fake::publish(&index, dir.path(), &[("max-parallel", "4")]);
    out.assert_failed_with(&["400 Invalid distribution"]);
    assert!(
        out.stderr.contains("no further upload starts"),
        "{}",
        out.stderr
    );
    let first_run = index.uploads();
    // The refused one and at most the three running beside it: nothing new started after it.
    assert!(first_run.len() <= 8, "{} uploads started", first_run.len());
    assert!(first_run.len() < names.len());

    let rerun = fake::publish(&index, dir.path(), &[("max-parallel", "4")]);
    rerun.assert_ok();
    let mut sent: BTreeMap<String, usize> = BTreeMap::new();
    for req in index.uploads() {
        *sent.entry(uploaded_name(&req)).or_default() += 1;
    }
    let refused = uploaded_name(&first_run[4]);
    for name in &names {
        // Each file was sent once, but the refused one, sent again by the re-run.
        let expected = if *name == refused { 2 } else { 1 };
        assert_eq!(sent.get(name), Some(&expected), "{name}: {sent:?}");
    }
    let mut both: Vec<String> = rerun.list("uploaded");
    both.extend(rerun.list("skipped"));
    both.sort();
    assert_eq!(both, names);
    assert_eq!(rerun.list("skipped").len(), first_run.len() - 1);
}
