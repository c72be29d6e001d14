//! Reading versions from the fixture projects in `tests/fixtures/`, and reproducing each result
//! from only the files it reports having read.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use slipway_version::{
    Files, Found, LocalFiles, MapFiles, SourceKind, SourceRequest, VersionError, find_version,
};

fn fixture(name: &str) -> LocalFiles {
    LocalFiles::new(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
}

fn request(kind: SourceKind) -> SourceRequest {
    SourceRequest {
        kind,
        ..SourceRequest::default()
    }
}

/// Finds the version, then finds it again from a `MapFiles` holding only `files_read`.
fn find(files: &dyn Files, req: &SourceRequest) -> Found {
    let found = find_version(files, req).unwrap_or_else(|e| panic!("{e}"));
    let map: BTreeMap<String, String> = found
        .files_read
        .iter()
        .map(|f| {
            (
                f.clone(),
                files.read(f).unwrap().expect("a file that was read exists"),
            )
        })
        .collect();
    let again = find_version(&MapFiles(map), req).unwrap_or_else(|e| panic!("from MapFiles: {e}"));
    assert_eq!(again, found, "MapFiles reproduces the result");
    found
}

fn check(name: &str, kind: SourceKind, expect: (&str, SourceKind, &str, &str)) {
    let found = find(&fixture(name), &request(kind));
    assert_eq!(
        (
            found.version.as_str(),
            found.kind,
            found.file.as_str(),
            found.key.as_str()
        ),
        expect,
        "fixture `{name}` with `{kind}`"
    );
}

#[test]
fn pep621_static() {
    let expect = (
        "1.2.3",
        SourceKind::Pep621,
        "pyproject.toml",
        "[project].version",
    );
    check("pep621-static", SourceKind::Auto, expect);
    check("pep621-static", SourceKind::Pep621, expect);
}

#[test]
fn poetry() {
    let expect = (
        "0.4.0",
        SourceKind::Poetry,
        "pyproject.toml",
        "[tool.poetry].version",
    );
    check("poetry", SourceKind::Auto, expect);
    check("poetry", SourceKind::Poetry, expect);
}

#[test]
fn hatch_path() {
    let expect = (
        "2.0.1",
        SourceKind::Hatch,
        "src/hatch_pkg/__about__.py",
        "__version__",
    );
    check("hatch-path", SourceKind::Auto, expect);
    check("hatch-path", SourceKind::Hatch, expect);
}

#[test]
fn pdm_file() {
    let expect = (
        "0.3.0.dev2",
        SourceKind::Pdm,
        "src/pdm_pkg/__init__.py",
        "__version__",
    );
    check("pdm-file", SourceKind::Auto, expect);
    check("pdm-file", SourceKind::Pdm, expect);
}

#[test]
fn flit_module_at_the_root() {
    let expect = (
        "0.9.0",
        SourceKind::Flit,
        "flit_pkg/__init__.py",
        "__version__",
    );
    check("flit", SourceKind::Auto, expect);
    check("flit", SourceKind::Flit, expect);
}

#[test]
fn setuptools_attr_in_pyproject_through_version_module_under_src() {
    let expect = (
        "3.1.4",
        SourceKind::Setuptools,
        "src/attr_pkg/_version.py",
        "__version__",
    );
    check("setuptools-attr-src", SourceKind::Auto, expect);
    check("setuptools-attr-src", SourceKind::Setuptools, expect);
    // The package's own modules give the same answer.
    check(
        "setuptools-attr-src",
        SourceKind::Module,
        (
            "3.1.4",
            SourceKind::Module,
            "src/attr_pkg/_version.py",
            "__version__",
        ),
    );
}

#[test]
fn setuptools_attr_in_setup_cfg_module_at_the_root_with_alias() {
    let expect = (
        "5.0.0rc1",
        SourceKind::Setuptools,
        "cfg_pkg/version.py",
        "VERSION",
    );
    check("setupcfg-attr-root", SourceKind::Auto, expect);
    check("setupcfg-attr-root", SourceKind::Setuptools, expect);
}

#[test]
fn setuptools_attr_through_dunder_version_module_and_package_dir() {
    let expect = (
        "1.0.0",
        SourceKind::Setuptools,
        "lib/dv_pkg/__version__.py",
        "__version__",
    );
    check("setuptools-dunder-version", SourceKind::Auto, expect);
}

#[test]
fn setuptools_file() {
    let expect = ("4.2.0", SourceKind::Setuptools, "VERSION", "(whole file)");
    check("setuptools-file", SourceKind::Auto, expect);
}

#[test]
fn setup_py_literal() {
    let expect = ("0.1.0", SourceKind::SetupPy, "setup.py", "setup(version=…)");
    check("setup-py-literal", SourceKind::Auto, expect);
    check("setup-py-literal", SourceKind::SetupPy, expect);
}

#[test]
fn computed_setup_py_falls_back_to_the_package() {
    let expect = (
        "2.2.2",
        SourceKind::Module,
        "src/modpkg/__init__.py",
        "VERSION",
    );
    check("module-fallback", SourceKind::Auto, expect);
    let err = find_version(&fixture("module-fallback"), &request(SourceKind::SetupPy)).unwrap_err();
    assert!(
        err.to_string().starts_with("cannot read the version from `setup.py`: `setup(version=get_version())` is not a string literal\nhint: "),
        "{err}"
    );
}

#[test]
fn cargo_workspace_package() {
    let root = (
        "0.7.0",
        SourceKind::Cargo,
        "Cargo.toml",
        "[workspace.package].version",
    );
    check("cargo-workspace", SourceKind::Auto, root);
    let member = SourceRequest {
        kind: SourceKind::Cargo,
        project_dir: "crates/member".to_string(),
        ..SourceRequest::default()
    };
    let found = find(&fixture("cargo-workspace"), &member);
    assert_eq!(
        (found.version.as_str(), found.file.as_str()),
        ("0.7.0", "Cargo.toml")
    );
    assert_eq!(found.files_read, ["crates/member/Cargo.toml", "Cargo.toml"]);
}

#[test]
fn pattern_source() {
    let mut req = request(SourceKind::File);
    req.version_file = Some("version.txt".to_string());
    req.version_pattern = Some(r"release: v(\S+)".to_string());
    let found = find(&fixture("pattern"), &req);
    assert_eq!(
        (found.version.as_str(), found.file.as_str()),
        ("6.1.0", "version.txt")
    );

    let err = |pattern: &str, file: &str| {
        let mut req = req.clone();
        req.version_pattern = Some(pattern.to_string());
        req.version_file = Some(file.to_string());
        find_version(&fixture("pattern"), &req)
            .unwrap_err()
            .to_string()
    };
    assert!(
        err(r"release: v\S+", "version.txt")
            .contains("it has 0 capture groups, exactly one is needed")
    );
    assert!(err(r"(release): v(\S+)", "version.txt").contains("it has 2 capture groups"));
    assert!(
        err(r"release: (\S+", "version.txt")
            .starts_with("invalid version pattern `release: (\\S+`: ")
    );
    assert_eq!(
        err(r"version: (\S+)", "version.txt"),
        "the version pattern `version: (\\S+)` does not match anything in `version.txt`"
    );
    assert_eq!(
        err(r"(x)", "nope.txt"),
        "`nope.txt` does not exist (`version-file`)"
    );
    let mut no_pattern = req.clone();
    no_pattern.version_pattern = None;
    let msg = find_version(&fixture("pattern"), &no_pattern)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("`version-source: file` needs `version-pattern`\nhint: "),
        "{msg}"
    );
}

fn git_tool(name: &str) -> String {
    match find_version(&fixture(name), &request(SourceKind::Auto)) {
        Err(VersionError::FromGitTags { tool }) => tool,
        other => panic!("expected FromGitTags for `{name}`, got {other:?}"),
    }
}

#[test]
fn versions_from_git_tags_are_named() {
    assert_eq!(git_tool("scm-setuptools"), "setuptools_scm");
    assert_eq!(git_tool("scm-hatch-vcs"), "hatch-vcs");
    assert_eq!(git_tool("scm-pdm"), "pdm-backend (`source = \"scm\"`)");
    assert_eq!(git_tool("scm-poetry-dynamic"), "poetry-dynamic-versioning");
    let msg = find_version(&fixture("scm-hatch-vcs"), &request(SourceKind::Hatch))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("derived from git tags by hatch-vcs"), "{msg}");
    assert!(msg.ends_with("\nhint: use `version-source: dist` after the build step (or pass the version explicitly)"), "{msg}");
    // Explicitly asking for poetry's placeholder version still names the plugin.
    assert!(matches!(
        find_version(&fixture("scm-poetry-dynamic"), &request(SourceKind::Poetry)),
        Err(VersionError::FromGitTags { .. })
    ));
}

#[test]
fn malformed_pyproject_names_file_line_and_column() {
    let err = find_version(&fixture("malformed"), &request(SourceKind::Auto)).unwrap_err();
    let VersionError::Toml { file, line, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((file.as_str(), *line), ("pyproject.toml", 7));
    assert!(
        err.to_string()
            .starts_with("`pyproject.toml` is not valid TOML at pyproject.toml:7:"),
        "{err}"
    );
}

#[test]
fn computed_module_version_is_a_clear_error() {
    let msg = find_version(&fixture("tuple-join"), &request(SourceKind::Auto))
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("cannot read the version from `tuple_pkg.py`: `__version__` is built at import time from other values (`\".\".join(map(str, VERSION_INFO))`)\nhint: "),
        "{msg}"
    );
}

#[test]
fn missing_project_dir_and_nothing_found() {
    let mut req = request(SourceKind::Auto);
    req.project_dir = "no/such/dir".to_string();
    let msg = find_version(&fixture("poetry"), &req)
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("the project directory `no/such/dir` does not exist"),
        "{msg}"
    );

    let empty = MapFiles(BTreeMap::from([(
        "README.md".to_string(),
        "hi".to_string(),
    )]));
    let msg = find_version(&empty, &request(SourceKind::Auto))
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with("no version found in `.`; tried:\n  - `pyproject.toml` (absent)\n"),
        "{msg}"
    );
    assert!(msg.contains("  - `Cargo.toml` (absent)\n"), "{msg}");
    assert!(msg.contains("\nhint: set `version-source`"), "{msg}");
}

#[test]
fn source_kind_from_str() {
    for (text, kind) in [
        ("auto", SourceKind::Auto),
        ("project", SourceKind::Pep621),
        ("PEP621", SourceKind::Pep621),
        ("setup.py", SourceKind::SetupPy),
        ("file", SourceKind::File),
        ("pattern", SourceKind::File),
        ("dist", SourceKind::Dist),
    ] {
        assert_eq!(text.parse::<SourceKind>().unwrap(), kind);
    }
    let msg = "pyproject".parse::<SourceKind>().unwrap_err().to_string();
    assert_eq!(
        msg,
        "unknown version source `pyproject`\nhint: use one of auto, pep621, poetry, hatch, pdm, setuptools, flit, setup.py, module, cargo, dist, file (with `version-file` and `version-pattern`)"
    );
}

fn wheel(dir: &Path, name: &str, version: &str) -> PathBuf {
    let path = dir.join(format!("{name}-{version}-py3-none-any.whl"));
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file(format!("{name}-{version}.dist-info/METADATA"), options)
        .unwrap();
    write!(
        zip,
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    )
    .unwrap();
    zip.finish().unwrap();
    path
}

fn sdist(dir: &Path, name: &str, version: &str) -> PathBuf {
    let path = dir.join(format!("{name}-{version}.tar.gz"));
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::fast(),
    );
    let mut tar = tar::Builder::new(gz);
    let text = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    tar.append_data(
        &mut header,
        format!("{name}-{version}/PKG-INFO"),
        text.as_bytes(),
    )
    .unwrap();
    tar.into_inner().unwrap().finish().unwrap();
    path
}

#[test]
fn built_dists() {
    let dist = tempfile::tempdir().unwrap();
    wheel(dist.path(), "scm_pkg", "1.4.0");
    sdist(dist.path(), "scm_pkg", "1.4.0");
    std::fs::write(dist.path().join("SHA256SUMS"), "").unwrap();
    let req = SourceRequest {
        kind: SourceKind::Dist,
        dist_dir: Some(dist.path().to_path_buf()),
        ..SourceRequest::default()
    };
    // A project whose version comes from git tags can still be read from its dists.
    let found = find_version(&fixture("scm-setuptools"), &req).unwrap();
    assert_eq!(
        (found.version.as_str(), found.kind, found.key.as_str()),
        ("1.4.0", SourceKind::Dist, "Version")
    );
    assert_eq!(
        found.file,
        dist.path()
            .join("scm_pkg-1.4.0.tar.gz")
            .display()
            .to_string()
    );

    // `auto` reaches the dists last.
    let auto = SourceRequest {
        kind: SourceKind::Auto,
        ..req.clone()
    };
    let empty = MapFiles::default();
    assert_eq!(find_version(&empty, &auto).unwrap().version, "1.4.0");

    wheel(dist.path(), "scm_pkg", "1.5.0");
    let msg = find_version(&empty, &req).unwrap_err().to_string();
    assert!(msg.contains("have different versions: `scm_pkg-1.4.0.tar.gz` has `1.4.0`, `scm_pkg-1.4.0-py3-none-any.whl` has `1.4.0`, `scm_pkg-1.5.0-py3-none-any.whl` has `1.5.0`"), "{msg}");

    let none = tempfile::tempdir().unwrap();
    let req = SourceRequest {
        dist_dir: Some(none.path().to_path_buf()),
        ..req
    };
    let msg = find_version(&empty, &req).unwrap_err().to_string();
    assert!(msg.starts_with("no wheel or sdist in `"), "{msg}");
}
