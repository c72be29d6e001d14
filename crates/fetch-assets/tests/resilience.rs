//! fetch-assets under Murphy's law: re-runs, a crash mid-file, faults on the API and the storage
//! host, many assets at a bounded concurrency, and flat memory for a 1 GiB asset.

mod common;

use std::io::{Seek as _, SeekFrom, Write as _};
use std::time::{Duration, Instant};

use common::{assert_clean, bytes_for, complete_storage_downloads, downloads, entries, step, sums};
use sha2::Digest as _;
use slipway_testkit::github::{
    FakeGitHub, Fault, Host, Match, ReleaseSeed, RouteKind, max_concurrency,
};

/// A release with `n` assets named `pkg_<i>.whl` of `size` bytes (with digests) and a
/// SHA256SUMS; returns (release id, [(name, asset id, bytes)]).
fn seed(fake: &FakeGitHub, n: usize, size: usize) -> (u64, Vec<(String, u64, Vec<u8>)>) {
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let mut files = Vec::new();
    for i in 0..n {
        let name = format!("pkg_{i:02}.whl");
        let bytes = bytes_for(&name, size + i);
        let asset = fake.add_asset(id, &name, &bytes, true);
        files.push((name, asset, bytes));
    }
    let listed: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, _, b)| (n.as_str(), b.as_slice()))
        .collect();
    fake.add_asset(id, "SHA256SUMS", sums(&listed).as_bytes(), true);
    (id, files)
}

#[test]
fn a_re_run_with_every_file_present_downloads_nothing() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (_, files) = seed(&fake, 3, 20_000);
    let h = step(&fake).input("tag", "v1.0.0");
    h.run().assert_success();
    fake.clear_requests();
    let r = h.run().assert_success();
    assert!(downloads(&fake).is_empty(), "{:?}", downloads(&fake));
    assert_eq!(r.output("count"), "4");
    assert_eq!(
        r.summary.matches("| already present |").count(),
        4,
        "{}",
        r.summary
    );
    for (name, _, bytes) in &files {
        assert_eq!(
            &std::fs::read(h.workspace().join("dist").join(name)).unwrap(),
            bytes
        );
    }
    assert_clean(&fake, &r);
}

#[test]
fn a_file_with_other_bytes_is_replaced_only_by_a_verified_download() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (_, files) = seed(&fake, 1, 5_000);
    let (name, asset, bytes) = &files[0];
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("patterns", "*.whl");
    h.write_file(format!("dist/{name}"), b"stale bytes from another build");
    // A corrupted download must not replace it.
    fake.inject(Fault::corrupt(Match::path(
        "GET",
        &format!("/release-assets/{asset}/"),
    )));
    h.run().assert_failure();
    assert_eq!(
        std::fs::read(h.workspace().join("dist").join(name)).unwrap(),
        b"stale bytes from another build"
    );
    let r = h.run().assert_success();
    assert_eq!(
        &std::fs::read(h.workspace().join("dist").join(name)).unwrap(),
        bytes
    );
    assert!(r.summary.contains("| replaced |"), "{}", r.summary);
    assert_eq!(entries(&h.workspace().join("dist")), [name.as_str()]);
}

#[test]
fn after_a_crash_mid_file_a_re_run_fetches_only_the_unfinished_file() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (_, files) = seed(&fake, 3, 300_000);
    let (broken_name, broken, broken_bytes) = &files[1];
    // The storage host cuts the middle file off after 100 KB every time: that run dies with
    // the file half-done.
    fake.inject(Fault::reset_response_body(
        Match::path("GET", &format!("/release-assets/{broken}/")).always(),
        100_000,
    ));
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .env("SLIPWAY_RETRY_ATTEMPTS", "2");
    let r = h.run().assert_failure();
    let err = r.error_annotations().join("\n");
    assert!(
        err.contains(&format!("cannot download `{broken_name}`")),
        "{err}"
    );
    let dist = h.workspace().join("dist");
    // Never a partial file under the final name, and no temporary file left behind.
    assert_eq!(entries(&dist), ["SHA256SUMS", "pkg_00.whl", "pkg_02.whl"]);
    // A hard crash leaves its temporary file behind: the next run clears it.
    std::fs::write(
        dist.join(format!(".{broken_name}.a1b2c3.slipway-part")),
        &broken_bytes[..1000],
    )
    .unwrap();

    fake.clear_faults();
    fake.clear_requests();
    let r = h.run().assert_success();
    let fetched: Vec<String> = fake
        .requests_to(RouteKind::DownloadAsset)
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(fetched.len(), 1, "{fetched:?}");
    assert!(
        fetched[0].ends_with(&format!("/releases/assets/{broken}")),
        "{fetched:?}"
    );
    assert_eq!(
        &std::fs::read(dist.join(broken_name)).unwrap(),
        broken_bytes
    );
    assert_eq!(
        entries(&dist),
        ["SHA256SUMS", "pkg_00.whl", "pkg_01.whl", "pkg_02.whl"]
    );
    assert_clean(&fake, &r);
}

#[test]
fn faults_on_the_api_and_the_storage_host_end_with_the_right_files() {
    let fake = FakeGitHub::with_repo("octo/demo");
    // Big enough that a body cut off half-way has reached the client (the restart from zero
    // into a fresh file is ours, not the client's).
    let (_, files) = seed(&fake, 4, 3_000_000);
    let storage = |i: usize| Match::path("GET", &format!("/release-assets/{}/", files[i].1));
    fake.inject(Fault::status(Match::route(RouteKind::ReleaseByTag), 502));
    fake.inject(Fault::reset_connection(Match::route(RouteKind::ListAssets)));
    fake.inject(Fault::too_many_requests(
        Match::route(RouteKind::DownloadAsset).nth(2),
        1,
    ));
    fake.inject(Fault::status(storage(0), 502));
    fake.inject(Fault::reset_response_body(storage(1), 1_500_000));
    fake.inject(Fault::reset_response_body(storage(2).times(2), 0));
    fake.inject(Fault::too_many_requests(storage(3), 1));
    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("max-parallel", "2");
    let r = h.run().assert_success();
    for (name, asset, bytes) in &files {
        assert_eq!(
            &std::fs::read(h.workspace().join("dist").join(name)).unwrap(),
            bytes,
            "{name}"
        );
        // Each file's bytes were delivered whole exactly once: nothing finished was fetched again.
        assert_eq!(
            complete_storage_downloads(&fake, *asset, bytes.len() as u64),
            1,
            "{name}"
        );
    }
    assert!(r.stderr.contains("broke after"), "{}", r.stderr);
    assert!(r.summary.contains("requests were retried"), "{}", r.summary);
    assert_eq!(entries(&h.workspace().join("dist")).len(), 5);
    assert_clean(&fake, &r);
}

#[test]
fn fifty_assets_download_concurrency_at_a_time() {
    let fake = FakeGitHub::with_repo("octo/demo");
    let (_, files) = seed(&fake, 50, 2_000);
    // Each storage answer takes a moment, so downloads in flight overlap visibly.
    fake.inject(Fault::delay(
        Match::host(Host::Storage).always(),
        Duration::from_millis(40),
    ));
    for concurrency in [3usize, 4] {
        fake.clear_requests();
        let mut h = step(&fake)
            .input("tag", "v1.0.0")
            .input("exclude", "SHA256SUMS");
        if concurrency != 4 {
            h = h.input("max-parallel", concurrency.to_string());
        }
        let r = h.run().assert_success();
        assert_eq!(r.output("count"), "50");
        let storage: Vec<_> = fake
            .requests()
            .into_iter()
            .filter(|r| r.host == Host::Storage && !r.path.contains("SHA256SUMS"))
            .collect();
        assert_eq!(storage.len(), 50);
        assert_eq!(
            max_concurrency(&storage),
            concurrency,
            "concurrency {concurrency}"
        );
        for (name, _, bytes) in &files {
            assert_eq!(
                &std::fs::read(h.workspace().join("dist").join(name)).unwrap(),
                bytes
            );
        }
    }
}

/// The peak resident set (VmHWM, KiB) of a running process, or `None` once it is gone.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[test]
fn a_1_gib_asset_downloads_with_flat_memory() {
    const SIZE: u64 = 1 << 30;
    let fake = FakeGitHub::with_repo("octo/demo");
    let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
    let asset = fake.add_asset(id, "big.whl", b"", false);
    // The fake's copy is a sparse file of zeros with one marker near the end; the manifest
    // carries its hash (computed in chunks, never held whole).
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(fake.asset_path(asset))
        .unwrap();
    f.set_len(SIZE).unwrap();
    f.seek(SeekFrom::Start(SIZE - 4)).unwrap();
    f.write_all(b"end!").unwrap();
    drop(f);
    fake.sync_asset_size(asset);
    let mut hasher = sha2::Sha256::new();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..(SIZE >> 20) - 1 {
        hasher.update(&zeros);
    }
    let mut last = vec![0u8; 1 << 20];
    last[(1 << 20) - 4..].copy_from_slice(b"end!");
    hasher.update(&last);
    let digest = hex::encode(hasher.finalize());
    fake.add_asset(
        id,
        "SHA256SUMS",
        format!("{digest}  big.whl\n").as_bytes(),
        true,
    );

    let h = step(&fake)
        .input("tag", "v1.0.0")
        .input("patterns", "big.whl");
    let mut cmd = std::process::Command::new(common::BIN);
    cmd.env_clear()
        .envs(h.vars())
        .current_dir(h.workspace())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(600);
    let mut peak = 0;
    let status = loop {
        if let Some(kib) = peak_rss_kib(child.id()) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the download did not finish");
        std::thread::sleep(Duration::from_millis(5));
    };
    assert!(status.success(), "{status}");
    let out = h.workspace().join("dist/big.whl");
    assert_eq!(std::fs::metadata(&out).unwrap().len(), SIZE);
    assert_eq!(file_sha(&out), digest);
    eprintln!("fetch-assets peak RSS for a 1 GiB asset: {peak} KiB");
    assert!(peak > 0, "could not read the child's VmHWM");
    assert!(peak < 64 * 1024, "peak RSS {peak} KiB is not under 64 MiB");
    assert_eq!(complete_storage_downloads(&fake, asset, SIZE), 1);
}

/// SHA-256 of a file, in chunks.
fn file_sha(path: &std::path::Path) -> String {
    use std::io::Read as _;
    let mut f = std::fs::File::open(path).unwrap();
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break hex::encode(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}
