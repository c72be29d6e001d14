//! Version parsing, ordering, bump kinds and tag templates.

use slipway_version::{
    BumpKind, ParsedVersion, Scheme, VersionError, bump_kind, render_tag, strip_v_prefix,
    validate_tag, version_from_tag,
};

fn pep(v: &str) -> ParsedVersion {
    ParsedVersion::parse(v, Scheme::Pep440).unwrap_or_else(|e| panic!("{e}"))
}

fn sem(v: &str) -> ParsedVersion {
    ParsedVersion::parse(v, Scheme::Semver).unwrap_or_else(|e| panic!("{e}"))
}

fn assert_ascending(versions: &[ParsedVersion]) {
    for pair in versions.windows(2) {
        assert!(pair[0] < pair[1], "`{}` < `{}`", pair[0], pair[1]);
    }
}

#[test]
fn pep440_ordering_table() {
    let order = [
        "1.0.dev1",
        "1.0a1.dev1",
        "1.0a1",
        "1.0b1",
        "1.0rc1",
        "1.0",
        "1.0+local",
        "1.0.post1",
        "1.1",
        "2.0",
        "1!0.1",
    ];
    assert_ascending(&order.map(pep));
    assert!(pep("1!0.1") > pep("2.0"));
}

#[test]
fn pep440_equality_and_normalization() {
    assert_eq!(pep("1.0"), pep("1.0.0"));
    assert_eq!(pep("1.0.0-RC1"), pep("1.0.0rc1"));
    assert_eq!(pep("1.0.0-RC1").normalized(), "1.0.0rc1");
    assert_eq!(pep("v1.0").normalized(), "1.0");
    assert_eq!(pep("v1.0"), pep("1.0"));
    assert_eq!(pep(" 1.0.post1 ").as_str(), "1.0.post1");
    assert_eq!(pep("1.0-1").normalized(), "1.0.post1");
    assert_ne!(pep("1.0+local"), pep("1.0"));
}

#[test]
fn prereleases() {
    assert!(pep("1.0a1").is_prerelease());
    assert!(pep("1.0.dev3").is_prerelease());
    assert!(pep("1.0rc1.post1").is_prerelease());
    assert!(!pep("1.0.post1").is_prerelease());
    assert!(!pep("1.0").is_prerelease());
    assert!(sem("1.0.0-beta.2").is_prerelease());
    assert!(!sem("1.0.0+build.5").is_prerelease());
}

#[test]
fn semver_ordering() {
    let order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-beta",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
    ];
    assert_ascending(&order.map(sem));
    assert_eq!(sem("1.0.0+build.1"), sem("1.0.0+build.2"));
    assert_eq!(sem("v2.0.0").normalized(), "2.0.0");
}

#[test]
fn invalid_versions_name_the_value() {
    let msg = ParsedVersion::parse("1.0-foo", Scheme::Pep440)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("`1.0-foo` is not a valid PEP 440 version: "),
        "{msg}"
    );
    let msg = ParsedVersion::parse("1.0", Scheme::Semver)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("`1.0` is not a valid SemVer version: "),
        "{msg}"
    );
    let msg = ParsedVersion::parse("  ", Scheme::Pep440)
        .unwrap_err()
        .to_string();
    assert_eq!(msg, "`  ` is not a valid PEP 440 version: it is empty");
    assert!(
        "calver"
            .parse::<Scheme>()
            .unwrap_err()
            .to_string()
            .contains("`calver`")
    );
    assert_eq!("SemVer".parse::<Scheme>().unwrap(), Scheme::Semver);
}

#[test]
fn bump_kinds() {
    let kind = |a: &str, b: &str| bump_kind(&pep(a), &pep(b));
    assert_eq!(kind("1.0", "2.0"), BumpKind::Major);
    assert_eq!(kind("1.9", "1!0.1"), BumpKind::Major);
    assert_eq!(kind("1.0", "1.1"), BumpKind::Minor);
    assert_eq!(kind("1.0", "1.0.1"), BumpKind::Patch);
    assert_eq!(kind("1.0.0.1", "1.0.0.2"), BumpKind::Patch);
    assert_eq!(kind("1.0rc1", "1.0"), BumpKind::Pre);
    assert_eq!(kind("1.0a1", "1.0a2"), BumpKind::Pre);
    assert_eq!(kind("1.0", "1.0.post1"), BumpKind::Post);
    assert_eq!(kind("1.0.dev1", "1.0.dev2"), BumpKind::Dev);
    assert_eq!(kind("1.0", "1.0.0"), BumpKind::None);
    assert_eq!(
        kind("2.0", "1.0"),
        BumpKind::Major,
        "a downgrade is still classified"
    );
    let skind = |a: &str, b: &str| bump_kind(&sem(a), &sem(b));
    assert_eq!(skind("1.2.3", "1.3.0"), BumpKind::Minor);
    assert_eq!(skind("1.0.0-alpha", "1.0.0"), BumpKind::Pre);
    assert_eq!(skind("1.0.0+a", "1.0.0+b"), BumpKind::None);
    let names: Vec<String> = [
        BumpKind::Major,
        BumpKind::Minor,
        BumpKind::Patch,
        BumpKind::Pre,
        BumpKind::Post,
        BumpKind::Dev,
        BumpKind::None,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    assert_eq!(
        names,
        ["major", "minor", "patch", "pre", "post", "dev", "none"]
    );
}

#[test]
fn tag_templates() {
    assert_eq!(render_tag("v{version}", "1.2.0").unwrap(), "v1.2.0");
    assert_eq!(
        render_tag("release/{major}.{minor}/{version}", "3.4.5rc1").unwrap(),
        "release/3.4/3.4.5rc1"
    );
    assert_eq!(render_tag("{version}-{patch}", "2").unwrap(), "2-0");
    let err = render_tag("v{major}", "1.0").unwrap_err();
    assert!(matches!(err, VersionError::InvalidTemplate { .. }));
    assert!(
        err.to_string()
            .starts_with("invalid tag template `v{major}`: it must contain `{version}`\nhint: "),
        "{err}"
    );
    assert!(
        render_tag("v{ver}", "1")
            .unwrap_err()
            .to_string()
            .contains("unknown placeholder `{ver}`")
    );
    assert!(
        render_tag("v{version", "1")
            .unwrap_err()
            .to_string()
            .contains("without a matching `}`")
    );

    assert_eq!(
        version_from_tag("v{version}", "v1.2.0").as_deref(),
        Some("1.2.0")
    );
    assert_eq!(
        version_from_tag("pkg-{version}", "pkg-1.0rc1").as_deref(),
        Some("1.0rc1")
    );
    assert_eq!(version_from_tag("v{version}", "1.2.0"), None);
    assert_eq!(version_from_tag("v{version}", "v"), None);
    assert_eq!(
        version_from_tag("rel/{major}/v{version}", "rel/3/v3.1").as_deref(),
        Some("3.1")
    );
    assert_eq!(
        version_from_tag("rel/{major}/v{version}", "rel/2/v3.1"),
        None,
        "placeholders must agree"
    );
    assert_eq!(
        version_from_tag("{version}.x", "1.0.x").as_deref(),
        Some("1.0")
    );
}

#[test]
fn tag_names_follow_git_rules_and_templates_cannot_make_bad_ones() {
    for ok in [
        "v1.2.0",
        "release/3.4/3.4.5rc1",
        "nightly-1.0.dev3",
        "v1.0+local.7",
        "@v1",
        "a.b",
    ] {
        assert!(validate_tag(ok).is_ok(), "{ok}");
    }
    let long = "x".repeat(256);
    for (bad, why) in [
        ("", "it is empty"),
        ("v 1.0", "it contains a space"),
        ("v1\t0", "the character \\t"),
        ("v1~1", "`~`"),
        ("v1^", "`^`"),
        ("a:b", "`:`"),
        ("v1?", "`?`"),
        ("v*", "`*`"),
        ("v[1]", "`[`"),
        ("a\\b", "`\\`"),
        ("v1..2", "`..`"),
        ("v@{1}", "`@{`"),
        ("a//b", "`//`"),
        ("@", "`@` alone"),
        ("/v1", "starts or ends with `/`"),
        ("v1/", "starts or ends with `/`"),
        ("v1.", "ends with `.`"),
        (".v1", "starts with `.`"),
        ("rel/.v1", "starts with `.`"),
        ("v1.lock", "ends with `.lock`"),
        (long.as_str(), "longer than 255 bytes"),
    ] {
        let err = validate_tag(bad).unwrap_err().to_string();
        assert!(err.contains(why), "{bad:?}: {err}");
        assert!(err.contains("\nhint: a tag follows git's rules"), "{err}");
    }
    let err = render_tag("release {version}", "1.2.0").unwrap_err();
    assert!(
        matches!(err, VersionError::TemplateMakesBadTag { ref tag, .. } if tag == "release 1.2.0"),
        "{err:?}"
    );
    assert!(err.to_string().contains("it contains a space"), "{err}");
    assert_eq!(version_from_tag("release {version}", "release 1.0"), None);
}

#[test]
fn a_v_before_a_version_is_a_tag_prefix() {
    assert_eq!(strip_v_prefix("v1.2.0"), Some("1.2.0"));
    assert_eq!(strip_v_prefix("V2"), Some("2"));
    assert_eq!(strip_v_prefix("1.2.0"), None);
    assert_eq!(strip_v_prefix("vnext"), None);
    assert_eq!(strip_v_prefix("v"), None);
}
