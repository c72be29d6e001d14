//! Memory stays flat: a 1 GiB upload (hashing included) with a peak RSS under 64 MiB, read
//! from the child's `VmHWM` in /proc while it runs. Not a timing test.

mod common;

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use sha2::Digest as _;
use slipway_testkit::github::RouteKind;

const GIB: u64 = 1024 * 1024 * 1024;
const LIMIT_KIB: u64 = 64 * 1024;

/// The high-water mark of a process's resident set, in KiB, while it is alive.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// SHA-256 of a file, streamed.
fn sha256_file(path: &std::path::Path) -> String {
    let mut f = std::fs::File::open(path).unwrap();
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            return hex::encode(h.finalize());
        }
        h.update(&buf[..n]);
    }
}

#[test]
fn uploading_a_1_gib_file_keeps_peak_rss_under_64_mib() {
    let fake = fake();
    let h = step(&fake).input("files", "dist/*.tar.gz");
    let big = h.write_file(format!("dist/{SDIST}"), b"");
    let file = std::fs::OpenOptions::new().write(true).open(&big).unwrap();
    // Sparse: 1 GiB of zeros that take no disk space here (the fake stores a real copy).
    file.set_len(GIB).unwrap();
    file.sync_all().unwrap();
    drop(file);

    let logs = tempfile::NamedTempFile::new().unwrap();
    let output = h.vars()["GITHUB_OUTPUT"].clone();
    std::fs::write(&output, "").unwrap();
    let mut child = Command::new(BIN)
        .env_clear()
        .envs(h.vars())
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .current_dir(h.workspace())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(logs.reopen().unwrap())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut peak = 0;
    let mut samples = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if let Some(kib) = vm_hwm_kib(pid) {
            peak = peak.max(kib);
            samples += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(logs.path()).unwrap();
    assert!(status.success(), "{status}\n{stderr}");
    assert!(
        samples > 10,
        "too few samples ({samples}) to trust the peak"
    );
    assert!(
        peak < LIMIT_KIB,
        "peak RSS {peak} KiB is over {LIMIT_KIB} KiB\n{stderr}"
    );
    eprintln!("peak RSS {peak} KiB over {samples} samples");

    // The bytes arrived whole, and the log showed progress along the way.
    let draft = only_draft(&fake);
    let asset = fake
        .assets(draft.id)
        .into_iter()
        .find(|a| a.name == SDIST)
        .unwrap();
    assert_eq!(asset.size, GIB);
    assert_eq!(
        asset.digest.as_deref(),
        Some(format!("sha256:{}", sha256_file(&big)).as_str())
    );
    let upload = fake
        .requests_to(RouteKind::UploadAsset)
        .into_iter()
        .find(|r| r.query.as_deref().is_some_and(|q| q.contains("tar.gz")))
        .unwrap();
    assert_eq!(upload.content_length, Some(GIB));
    // Progress is told each chunk handed to the connection: the line at 50 % is exact.
    assert!(
        stderr.contains(&format!("uploading {SDIST}: 50% (")) && stderr.contains("of 1.0 GiB"),
        "{stderr}"
    );
}
