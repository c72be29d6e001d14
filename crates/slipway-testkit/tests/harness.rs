//! The runner harness, with tiny shell scripts standing in for action binaries.

use slipway_testkit::github::FakeGitHub;
use slipway_testkit::harness::{DEFAULT_SHA, Harness};

fn sh(script: &str) -> Harness {
    Harness::new("sh").arg("-c").arg(script)
}

#[test]
fn inputs_env_and_outputs_are_wired_like_the_runner() {
    let script = r#"
        printf 'spaced=%s\n' "$(printenv 'INPUT_MY_INPUT')" >> "$GITHUB_OUTPUT"
        echo "x=1" >> "$GITHUB_OUTPUT"
        printf 'notes<<EOF_1\nline one\nline two\nEOF_1\n' >> "$GITHUB_OUTPUT"
        echo "cwd=$(pwd)" >> "$GITHUB_OUTPUT"
        echo "fixture=$(cat dist/a.txt)" >> "$GITHUB_OUTPUT"
        echo "sha=$GITHUB_SHA ci=$CI actions=$GITHUB_ACTIONS attempt=$GITHUB_RUN_ATTEMPT" >> "$GITHUB_OUTPUT"
        echo "event=$GITHUB_EVENT_NAME $(cat "$GITHUB_EVENT_PATH" | tr -d ' \n')" >> "$GITHUB_OUTPUT"
        echo "leaked=$(printenv CARGO_MANIFEST_DIR)" >> "$GITHUB_OUTPUT"
        echo "temp=$(test -d "$RUNNER_TEMP" && echo yes)" >> "$GITHUB_OUTPUT"
        echo '### Summary' >> "$GITHUB_STEP_SUMMARY"
        echo "done"
    "#;
    let h = sh(script)
        .input("my input", "spaces become underscores")
        .event("push", serde_json::json!({"after": "abc"}));
    h.write_file("dist/a.txt", "fixture bytes");
    let run = h.run().assert_success();
    assert_eq!(run.output("spaced"), "spaces become underscores");
    assert_eq!(run.output("x"), "1");
    assert_eq!(run.output("notes"), "line one\nline two");
    let ws = std::fs::canonicalize(h.workspace()).unwrap();
    assert_eq!(std::fs::canonicalize(run.output("cwd")).unwrap(), ws);
    assert_eq!(run.output("fixture"), "fixture bytes");
    assert_eq!(
        run.output("sha"),
        format!("{DEFAULT_SHA} ci=true actions=true attempt=1")
    );
    assert_eq!(run.output("event"), r#"push {"after":"abc"}"#);
    assert_eq!(
        run.output("leaked"),
        "",
        "the test's environment is not passed on"
    );
    assert_eq!(run.output("temp"), "yes");
    assert_eq!(run.summary, "### Summary\n");
    assert_eq!(run.stdout, "done\n");
}

#[test]
fn hyphenated_inputs_reach_the_process_unchanged() {
    // `env` itself, since POSIX shells may drop variables whose names contain `-`.
    let run = Harness::new("env")
        .input("dry-run", "true")
        .input("api-url", "http://x")
        .run()
        .assert_success();
    let vars: Vec<&str> = run.stdout.lines().collect();
    assert!(vars.contains(&"INPUT_DRY-RUN=true"), "{vars:?}");
    assert!(vars.contains(&"INPUT_API-URL=http://x"), "{vars:?}");
    assert!(
        vars.iter().all(|v| !v.starts_with("CARGO_")),
        "the environment is cleared: {vars:?}"
    );
    assert!(vars.iter().any(|v| v.starts_with("PATH=")));
}

#[test]
fn reruns_start_with_fresh_output_files() {
    let h =
        sh(r#"echo "n=$(cat count 2>/dev/null || echo 0)" >> "$GITHUB_OUTPUT"; echo 1 > count"#);
    assert_eq!(h.run().output("n"), "0");
    let second = h.run();
    assert_eq!(second.output("n"), "1");
    assert_eq!(second.outputs.len(), 1);
}

#[test]
fn failures_annotations_and_secrets() {
    let fake = FakeGitHub::with_repo("octo/widgets");
    let script = r#"
        echo "::error title=Bad input::tag %60v1%60 exists%0Ahint: pass a new version"
        echo "::warning::careful"
        echo "api=$GITHUB_API_URL repo=$GITHUB_REPOSITORY" >&2
        printf 'token-len=%s\n' "$(printenv INPUT_TOKEN | wc -c | tr -d ' ')" >> "$GITHUB_OUTPUT"
        exit 3
    "#;
    let run = sh(script).github(&fake).run().assert_failure();
    assert_eq!(run.code(), Some(3));
    assert_eq!(
        run.error_annotations(),
        ["tag %60v1%60 exists\nhint: pass a new version"]
    );
    assert_eq!(run.warning_annotations(), ["careful"]);
    assert!(
        run.stderr
            .contains(&format!("api={} repo=octo/widgets", fake.api_url()))
    );
    assert_eq!(
        run.output("token-len"),
        (fake.token().len() + 1).to_string()
    );
    assert!(
        !run.all_text().contains(&fake.token()),
        "the script never printed the token"
    );
    assert!(run.all_text().contains("careful"));
}

#[test]
fn local_mode_without_file_commands() {
    let run = sh(r#"test -z "$GITHUB_OUTPUT" && echo local"#)
        .unset("GITHUB_OUTPUT")
        .unset("GITHUB_STEP_SUMMARY")
        .run()
        .assert_success();
    assert_eq!(run.stdout, "local\n");
    assert!(run.outputs.is_empty());
}

#[test]
#[should_panic(expected = "does not follow the runner's rules")]
fn a_malformed_output_file_fails_the_test() {
    sh(r#"printf 'v<<EOF\nnever closed\n' >> "$GITHUB_OUTPUT""#).run();
}

#[test]
#[should_panic(expected = "no output `missing`")]
fn a_missing_output_names_the_ones_that_exist() {
    sh(r#"echo "present=1" >> "$GITHUB_OUTPUT""#)
        .run()
        .output("missing");
}

#[test]
#[should_panic(expected = "did not finish")]
fn a_hung_binary_is_killed() {
    sh("sleep 30")
        .timeout(std::time::Duration::from_millis(300))
        .run();
}
