//! Against real indexes started here on loopback: pypiserver and devpi-server. Dists built by
//! setuptools, hatchling, flit-core, poetry-core and pdm-backend upload to both, pip installs
//! them from each, a re-run skips everything, and other bytes under a published name fail.

mod common;

use common::{
    BACKENDS, PASSWORD, USER, build_dists, devpi, pip_install_and_import, pypiserver, run,
};

struct Target {
    label: &'static str,
    upload: String,
    simple: String,
}

fn targets() -> Vec<Target> {
    let p = pypiserver();
    let d = devpi();
    vec![
        Target {
            label: "pypiserver",
            upload: p.url.clone(),
            simple: format!("{}simple/", p.url),
        },
        Target {
            label: "devpi",
            upload: d.url.clone(),
            simple: format!("{}+simple/", d.url),
        },
    ]
}

fn publish(target: &Target, dir: &std::path::Path, extra: &[(&str, &str)]) -> common::Outcome {
    let dir = dir.to_str().unwrap();
    let mut inputs = vec![
        ("packages-dir", dir),
        ("repository-url", target.upload.as_str()),
        ("index-url", target.simple.as_str()),
        ("user", USER),
        ("password", PASSWORD),
    ];
    inputs.extend_from_slice(extra);
    run(&inputs, &[])
}

#[test]
fn every_backend_uploads_installs_and_reruns_as_skipped() {
    let tmp = tempfile::tempdir().unwrap();
    let targets = targets();
    for (i, backend) in BACKENDS.iter().enumerate() {
        let name = format!("real-{backend}");
        let version = format!("1.0.{i}");
        let dist = build_dists(backend, &name, &version, tmp.path());
        let files: Vec<String> = std::fs::read_dir(&dist)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert_eq!(files.len(), 2, "{backend}: {files:?}");
        for target in &targets {
            let first = publish(target, &dist, &[("expected-version", &version)]);
            first.assert_ok();
            let uploaded = first.list("uploaded");
            assert_eq!(
                uploaded.len(),
                2,
                "{backend} → {}: {}",
                target.label,
                first.all_text()
            );
            assert!(
                uploaded[0].ends_with(".tar.gz"),
                "sdist first: {uploaded:?}"
            );
            assert_eq!(first.outputs["version"], version);
            assert!(first.summary.contains("uploaded") && first.summary.contains("sha256"));
            assert!(!first.leaks(PASSWORD), "password leaked");

            let again = publish(target, &dist, &[]);
            again.assert_ok();
            assert_eq!(
                again.list("uploaded"),
                Vec::<String>::new(),
                "{}",
                again.all_text()
            );
            assert_eq!(again.list("skipped").len(), 2);

            let value = pip_install_and_import(&target.simple, &name, &version, &[]);
            assert_eq!(value, "42", "{backend} from {}", target.label);
        }
    }
}

#[test]
fn other_bytes_under_a_published_name_fail_naming_both_hashes() {
    let tmp = tempfile::tempdir().unwrap();
    for target in targets() {
        let name = format!("clash-{}", target.label);
        let first_dir = build_dists("hatchling", &name, "2.0", &tmp.path().join("a"));
        publish(&target, &first_dir, &[]).assert_ok();
        // Same name and version, different bytes: a rebuild with a changed module.
        let second_dir = build_dists("setuptools", &name, "2.0", &tmp.path().join("b"));
        let sdist = |dir: &std::path::Path| {
            std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
                .unwrap()
        };
        let (old, new) = (sdist(&first_dir), sdist(&second_dir));
        assert_eq!(old.file_name(), new.file_name());
        let old_sha = common::fake::sha256(&std::fs::read(&old).unwrap());
        let new_sha = common::fake::sha256(&std::fs::read(&new).unwrap());
        assert_ne!(old_sha, new_sha);
        let out = publish(&target, &second_dir, &[]);
        out.assert_failed_with(&[&old_sha, &new_sha, "other content", "nothing was uploaded"]);
        assert_eq!(out.list("uploaded"), Vec::<String>::new());
        assert!(!out.leaks(PASSWORD));
    }
}
