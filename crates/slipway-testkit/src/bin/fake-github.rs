//! `slipway-fake-github`: the fake GitHub as a standalone server, for the local pipeline demo
//! and the benchmark.
//!
//! `slipway-fake-github --repo owner/name [--repo …] [--token T] [--port P] [--state-dir D]
//! [--public-urls API,UPLOADS,STORAGE]` prints one JSON line `{"api_url","uploads_url",
//! "storage_url","bound_urls"}` when ready (`bound_urls`: where it listens, which differs from
//! the other three when `--public-urls` puts a proxy in front) and serves until
//! SIGINT or SIGTERM. Scripts publish a draft with `POST /_fake/releases/{id}/publish` and read
//! the request log with `GET /_fake/requests`.
//!
//! With `--state-dir`, the fake's releases, assets, tags and files outlive the process: a JSON
//! snapshot (`state.json` beside the asset files) is loaded on start, written within a moment
//! of each change, and written once more on exit.

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a test double's command line: its output is the point"
)]

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use slipway_testkit::github::{FakeConfig, FakeGitHub, Snapshot};

/// The snapshot's file name inside `--state-dir`.
const STATE_FILE: &str = "state.json";
/// How often the state is compared with the last snapshot written.
const SAVE_EVERY: Duration = Duration::from_millis(100);

const USAGE: &str = "usage: slipway-fake-github --repo owner/name [--repo …] [--token T] [--port P] [--state-dir D] [--public-urls API,UPLOADS,STORAGE]";

fn parse(args: impl Iterator<Item = String>) -> Result<(FakeConfig, Vec<String>), String> {
    let mut config = FakeConfig::default();
    let mut repos = Vec::new();
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let (flag, inline) = match flag.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (flag, None),
        };
        if flag == "--help" || flag == "-h" {
            return Err(USAGE.to_string());
        }
        let Some(value) = inline.or_else(|| args.next()) else {
            return Err(format!("`{flag}` needs a value\n{USAGE}"));
        };
        match flag.as_str() {
            "--repo" => {
                if value.split('/').filter(|p| !p.is_empty()).count() != 2 {
                    return Err(format!("`--repo {value}` is not `owner/name`"));
                }
                repos.push(value);
            }
            "--token" => config.token = value,
            "--port" => {
                config.port = value
                    .parse()
                    .map_err(|_| format!("`--port {value}` is not a port number"))?;
            }
            "--state-dir" => config.state_dir = Some(PathBuf::from(value)),
            "--public-urls" => {
                let urls: Vec<String> = value.split(',').map(str::to_string).collect();
                let Ok(urls) = <[String; 3]>::try_from(urls) else {
                    return Err(format!(
                        "`--public-urls {value}` is not three comma-separated base URLs (API, uploads, storage)"
                    ));
                };
                config.public_urls = Some(urls);
            }
            other => return Err(format!("unknown flag `{other}`\n{USAGE}")),
        }
    }
    if repos.is_empty() {
        return Err(format!(
            "at least one `--repo owner/name` is needed\n{USAGE}"
        ));
    }
    Ok((config, repos))
}

fn main() -> ExitCode {
    let (config, repos) = match parse(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let state_file = config.state_dir.as_ref().map(|d| d.join(STATE_FILE));
    let fake = match FakeGitHub::start_with(config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(file) = &state_file
        && let Err(e) = load(&fake, file)
    {
        eprintln!("error: {}", report(&e));
        return ExitCode::FAILURE;
    }
    for r in &repos {
        fake.add_repo(r);
    }
    let mut saver = state_file.map(|file| Saver { file, last: None });
    if let Some(s) = &mut saver
        && let Err(e) = s.save_if_changed(&fake)
    {
        eprintln!("error: {}", report(&e));
        return ExitCode::FAILURE;
    }
    println!(
        "{}",
        serde_json::json!({
            "api_url": fake.api_url(),
            "uploads_url": fake.uploads_url(),
            "storage_url": fake.storage_url(),
            "bound_urls": fake.bound_urls(),
        })
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut failed = false;
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let stop = async {
            match signal(SignalKind::terminate()) {
                Ok(mut term) => {
                    tokio::select! {
                        _ = tokio::signal::ctrl_c() => {}
                        _ = term.recv() => {}
                    }
                }
                Err(_) => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        };
        tokio::pin!(stop);
        let mut tick = tokio::time::interval(SAVE_EVERY);
        loop {
            tokio::select! {
                _ = &mut stop => break,
                _ = tick.tick() => {
                    if let Some(s) = &mut saver
                        && let Err(e) = s.save_if_changed(&fake) {
                            eprintln!("error: {}", report(&e));
                            failed = true;
                            break;
                        }
                }
            }
        }
    });
    if let Some(s) = &mut saver
        && let Err(e) = s.save_if_changed(&fake)
    {
        eprintln!("error: {}", report(&e));
        failed = true;
    }
    drop(fake);
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Restores the fake from the snapshot file, if there is one.
fn load(fake: &FakeGitHub, file: &Path) -> Result<(), slipway_testkit::github::SnapshotError> {
    match Snapshot::read(file)? {
        Some(snapshot) => fake.restore(snapshot, file),
        None => Ok(()),
    }
}

/// Writes the snapshot file whenever the fake's durable state differs from the last one written.
struct Saver {
    file: PathBuf,
    last: Option<Snapshot>,
}

impl Saver {
    fn save_if_changed(
        &mut self,
        fake: &FakeGitHub,
    ) -> Result<(), slipway_testkit::github::SnapshotError> {
        let now = fake.snapshot();
        if self.last.as_ref() != Some(&now) {
            now.write(&self.file)?;
            self.last = Some(now);
        }
        Ok(())
    }
}

/// An error with its causes, one per line after the first (hint lines stay last).
fn report(e: &dyn std::error::Error) -> String {
    let text = e.to_string();
    let (head, hint) = match text.split_once("\nhint: ") {
        Some((h, hint)) => (h.to_string(), Some(hint.to_string())),
        None => (text, None),
    };
    let mut out = head;
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    if let Some(hint) = hint {
        out.push_str(&format!("\nhint: {hint}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> impl Iterator<Item = String> {
        s.split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn flags_parse_and_bad_ones_are_named() {
        let (c, repos) = parse(args("--repo o/r --token t --port=0 --state-dir /tmp/x")).unwrap();
        assert_eq!(
            (c.token.as_str(), c.port, repos),
            ("t", 0, vec!["o/r".to_string()])
        );
        assert!(
            parse(args("--repo nope"))
                .unwrap_err()
                .contains("`--repo nope`")
        );
        assert!(
            parse(args("--port x --repo o/r"))
                .unwrap_err()
                .contains("`--port x`")
        );
        assert!(parse(args("")).unwrap_err().contains("--repo"));
    }

    #[test]
    fn state_is_saved_on_change_only_and_loaded_back() {
        use slipway_testkit::github::ReleaseSeed;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(STATE_FILE);
        let config = FakeConfig {
            state_dir: Some(dir.path().to_path_buf()),
            ..FakeConfig::default()
        };
        let fake = FakeGitHub::start_with(config.clone()).unwrap();
        fake.add_repo("o/r");
        let mut saver = Saver {
            file: file.clone(),
            last: None,
        };
        saver.save_if_changed(&fake).unwrap();
        std::fs::remove_file(&file).unwrap();
        saver.save_if_changed(&fake).unwrap();
        assert!(!file.exists(), "an unchanged state is not written again");
        let id = fake.add_release(ReleaseSeed::new("v1.0.0"));
        saver.save_if_changed(&fake).unwrap();
        drop(fake);

        let again = FakeGitHub::start_with(config).unwrap();
        load(&again, &file).unwrap();
        assert_eq!(again.release(id).unwrap().tag_name, "v1.0.0");
        let empty = FakeGitHub::start();
        load(&empty, &dir.path().join("absent.json")).unwrap();
        assert!(empty.snapshot() != again.snapshot());
    }

    #[test]
    fn reports_put_causes_before_the_hint() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join(STATE_FILE);
        std::fs::write(&bad, "[").unwrap();
        let err = Snapshot::read(&bad).unwrap_err();
        let text = report(&err);
        assert!(text.lines().last().unwrap().starts_with("hint: "), "{text}");
        let io = slipway_testkit::github::SnapshotError::Io {
            path: PathBuf::from("/x/state.json"),
            source: std::io::Error::other("disk full"),
        };
        assert!(report(&io).ends_with("`/x/state.json`: disk full"));
    }
}
