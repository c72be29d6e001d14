//! `slipway-fake-github`: the fake GitHub as a standalone server, for the local pipeline demo
//! and the benchmark.
//!
//! `slipway-fake-github --repo owner/name [--repo …] [--token T] [--port P] [--state-dir D]`
//! prints one JSON line `{"api_url","uploads_url","storage_url"}` when ready and serves until
//! SIGINT or SIGTERM. Scripts publish a draft with `POST /_fake/releases/{id}/publish` and read
//! the request log with `GET /_fake/requests`.

use std::path::PathBuf;
use std::process::ExitCode;

use slipway_testkit::github::{FakeConfig, FakeGitHub};

const USAGE: &str = "usage: slipway-fake-github --repo owner/name [--repo …] [--token T] [--port P] [--state-dir D]";

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
        let value = match inline.or_else(|| args.next()) {
            Some(v) => v,
            None => return Err(format!("`{flag}` needs a value\n{USAGE}")),
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
    let fake = match FakeGitHub::start_with(config) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for r in &repos {
        fake.add_repo(r);
    }
    println!(
        "{}",
        serde_json::json!({
            "api_url": fake.api_url(),
            "uploads_url": fake.uploads_url(),
            "storage_url": fake.storage_url(),
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
    runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
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
    });
    drop(fake);
    ExitCode::SUCCESS
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
}
