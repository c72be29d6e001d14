//! The one-transport rule, checked on the sources: no crate but `slipway-http` builds an HTTP
//! client or depends on an HTTP client library, and no library code sleeps between attempts
//! (retries belong to the transport's policy). The test kit (fake servers, dev-only) is exempt.

use std::path::{Path, PathBuf};

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Crates that may talk HTTP directly: the transport itself, and the dev-only test kit.
const EXEMPT: &[&str] = &["slipway-http", "slipway-testkit"];

/// Client libraries no other crate may depend on.
const CLIENT_CRATES: &[&str] = &[
    "reqwest",
    "octocrab",
    "ureq",
    "isahc",
    "curl",
    "surf",
    "attohttpc",
];

/// Source patterns that build a client or sleep between attempts.
const FORBIDDEN: &[(&str, &str)] = &[
    ("reqwest::", "an HTTP client outside slipway-http"),
    ("hyper_util::client", "an HTTP client outside slipway-http"),
    ("hyper::client", "an HTTP client outside slipway-http"),
    (
        "TcpStream::connect",
        "a raw connection outside slipway-http",
    ),
    (
        "tokio::time::sleep",
        "a wait between attempts outside the transport's policy",
    ),
    (
        "std::thread::sleep",
        "a wait between attempts outside the transport's policy",
    ),
];

/// Lines after this comment may sleep: they wait for something other than a retry.
const NOT_A_RETRY: &str = "// Not a retry:";

fn violations() -> Vec<String> {
    let mut found = Vec::new();
    let Ok(crates) = std::fs::read_dir(crates_dir()) else {
        return vec!["cannot read crates/".into()];
    };
    for krate in crates.flatten() {
        let name = krate.file_name().to_string_lossy().to_string();
        if EXEMPT.contains(&name.as_str()) {
            continue;
        }
        let manifest = std::fs::read_to_string(krate.path().join("Cargo.toml")).unwrap_or_default();
        let deps = manifest
            .split("[dev-dependencies]")
            .next()
            .unwrap_or_default();
        for client in CLIENT_CRATES {
            if deps.lines().any(|l| {
                l.trim_start().starts_with(&format!("{client} "))
                    || l.trim_start().starts_with(&format!("{client}."))
            }) {
                found.push(format!("{name}/Cargo.toml depends on `{client}`"));
            }
        }
        let mut files = Vec::new();
        rust_files(&krate.path().join("src"), &mut files);
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            // Unit tests at the end of a file may use what they like.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let lines: Vec<&str> = code.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if line.trim_start().starts_with("//") {
                    continue;
                }
                for (pattern, what) in FORBIDDEN {
                    let excused = pattern.contains("sleep")
                        && i > 0
                        && lines[i - 1].trim_start().starts_with(NOT_A_RETRY);
                    if line.contains(pattern) && !excused {
                        found.push(format!(
                            "{}:{}: `{pattern}`: {what}",
                            file.strip_prefix(crates_dir()).unwrap_or(&file).display(),
                            i + 1
                        ));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn every_request_goes_through_the_one_transport() {
    let found = violations();
    assert!(
        found.is_empty(),
        "HTTP clients or retry waits outside slipway-http (route them through slipway_http::Transport):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_forbids() {
    // The transport itself must trip the check if it were not exempt: proof the scan reads code.
    let mut files = Vec::new();
    rust_files(&crates_dir().join("slipway-http/src"), &mut files);
    let all: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap_or_default())
        .collect();
    assert!(all.contains("reqwest::Client::builder"));
    assert!(all.contains("tokio::time::sleep"));
}
