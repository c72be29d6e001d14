//! The static simple repository nightly writes, served on loopback by `python -m http.server`:
//! pip downloads the build's exact bytes through it (the links point at the fake GitHub, whose
//! download URLs redirect to its storage host), and an older build without GitHub digests is
//! listed with its manifest's hashes, never downloaded whole.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use slipway_testkit::github::{ReleaseSeed, RouteKind};

/// Stops the served directory's server when the test ends.
struct Served(std::process::Child);

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(dir: &std::path::Path) -> (Served, String) {
    let port = slipway_testkit::real::free_port();
    let child = Command::new(slipway_testkit::real::tool("python"))
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python -m http.server");
    let served = Served(child);
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (served, format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("python -m http.server did not listen on {port}");
}

#[test]
fn pip_downloads_the_exact_bytes_through_the_served_index() {
    let fake = fake();
    // An older build whose wheel has no GitHub digest: its hash comes from its SHA256SUMS.
    let old_tag = channel_tag(1);
    let old_wheel = "widgets-1.2.4.dev20260000000001-py3-none-any.whl";
    let old_bytes = b"an old wheel";
    let old = fake.add_release(ReleaseSeed::new(&old_tag).prerelease());
    fake.add_asset(old, old_wheel, old_bytes, false);
    let sums = format!("{}  {old_wheel}\n", sha256(old_bytes));
    fake.add_asset(old, "SHA256SUMS", sums.as_bytes(), true);
    let h = step(&fake).input("index-dir", "site/nightly");
    let run = h.run().assert_success();
    assert_eq!(run.output("index-dir"), "site/nightly");
    let site = h.workspace().join("site/nightly");
    let page = std::fs::read_to_string(site.join("simple/widgets/index.html")).unwrap();
    assert!(page.contains("data-requires-python=\"&gt;=3.8\""), "{page}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(site.join("simple/widgets/index.json")).unwrap(),
    )
    .unwrap();
    let files = json["files"].as_array().unwrap();
    assert_eq!(files.len(), dist_names().len() + 1, "{json:#}");
    let listed_old = files.iter().find(|f| f["filename"] == old_wheel).unwrap();
    assert_eq!(listed_old["hashes"]["sha256"], sha256(old_bytes));
    assert!(!page.contains("SHA256SUMS"), "{page}");
    // Only the old build's manifest was downloaded, never a dist.
    let downloads = fake.requests_to(RouteKind::DownloadAsset).len()
        + fake.requests_to(RouteKind::StorageDownload).len();
    assert_eq!(downloads, 2, "{:#?}", fake.requests());

    let (_served, base) = serve(&site);
    let out = tempfile::tempdir().unwrap();
    let pip = Command::new(slipway_testkit::real::tool("pip"))
        .args([
            "download",
            "--pre",
            "--no-deps",
            "--disable-pip-version-check",
        ])
        .arg("--index-url")
        .arg(format!("{base}/simple/"))
        .arg(format!("{NAME}=={VERSION}"))
        .arg("-d")
        .arg(out.path())
        .output()
        .expect("run pip download");
    assert!(
        pip.status.success(),
        "pip download failed:\n{}\n{}",
        String::from_utf8_lossy(&pip.stdout),
        String::from_utf8_lossy(&pip.stderr)
    );
    let got: Vec<_> = std::fs::read_dir(out.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(got.len(), 1, "{got:?}");
    let name = got[0].file_name().unwrap().to_string_lossy().into_owned();
    let rel = release_of(&fake, TAG).unwrap();
    let asset = fake
        .assets(rel.id)
        .into_iter()
        .find(|a| a.name == name)
        .unwrap();
    assert_eq!(
        sha256(&std::fs::read(&got[0]).unwrap()),
        sha256(&fake.asset_bytes(asset.id))
    );
    assert!(!fake.requests_to(RouteKind::BrowserDownload).is_empty());
    assert_clean(&fake, &run);
}
