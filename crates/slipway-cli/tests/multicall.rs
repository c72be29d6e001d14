//! The image's multi-call binary, run the way the umbrella action runs it: `slipway <tool>` with
//! every input the umbrella declares present, the ones the user left out as empty strings.

use slipway_testkit::harness::Harness;

const BIN: &str = env!("CARGO_BIN_EXE_slipway");

const PYPROJECT: &str = "[project]\nname = \"demo\"\nversion = \"2.0.0\"\n";

#[test]
fn umbrella_inputs_left_empty_take_each_tools_defaults() {
    let mut h = Harness::new(BIN)
        .arg("version-bump")
        .env("SLIPWAY_UMBRELLA", "1");
    for input in version_bump::TOOL.inputs {
        h = h.input(input.name, "");
    }
    h = h.input("compare-to", "none");
    h.write_file("pyproject.toml", PYPROJECT);
    let r = h.run().assert_success();
    // path ".", version-source auto and tag-template v{version} came from the defaults.
    assert_eq!(
        (r.output("version"), r.output("tag"), r.output("source")),
        ("2.0.0", "v2.0.0", "pyproject.toml [project].version")
    );
}

#[test]
fn each_tool_answers_by_name_and_an_unknown_tool_is_an_error() {
    for tool in [
        "version-bump",
        "draft-release",
        "fetch-assets",
        "pypi-publish",
    ] {
        let r = Harness::new(BIN)
            .args([tool, "--help"])
            .run()
            .assert_success();
        assert!(r.stdout.starts_with(&format!("{tool} ")), "{}", r.stdout);
    }
    let r = Harness::new(BIN)
        .arg("publish-everything")
        .run()
        .assert_failure();
    assert!(
        r.stderr.contains("unknown tool `publish-everything`") && r.stderr.contains("hint:"),
        "{}",
        r.stderr
    );
    let r = Harness::new(BIN).run().assert_failure();
    assert!(r.stderr.contains("Usage: slipway <tool>"), "{}", r.stderr);
}

#[test]
fn test_issues_through_the_umbrella_takes_its_defaults() {
    let fake = slipway_testkit::github::FakeGitHub::with_repo("octo/widgets");
    let mut h = Harness::new(BIN)
        .arg("test-issues")
        .env("SLIPWAY_UMBRELLA", "1")
        .env("GITHUB_JOB", "tests");
    for input in test_issues::TOOL.inputs {
        h = h.input(input.name, "");
    }
    let h = h.github(&fake);
    h.write_file(
        "reports/junit-unit.xml",
        r#"<testsuite><testcase classname="t" name="a"><failure message="boom"/></testcase></testsuite>"#,
    );
    let r = h.run().assert_success();
    // reports **/junit*.xml, context = the job, label test-failure, max-issues 10.
    assert_eq!(r.output("failed"), "1");
    let issues = fake.issues();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].labels, vec!["test-failure"]);
    assert!(
        issues[0]
            .body
            .as_deref()
            .unwrap()
            .starts_with("<!-- slipway-test-issues context=tests test=t%3A%3Aa -->")
    );
}
