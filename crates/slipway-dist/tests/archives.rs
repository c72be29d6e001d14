//! Reading metadata from wheels and sdists built here, in the test, with the `zip` and `tar` crates.

use std::io::Write;
use std::path::{Path, PathBuf};

use slipway_dist::{DistError, DistKind, find_dists, read_metadata};
use zip::write::SimpleFileOptions;

fn metadata_text(name: &str, version: &str) -> String {
    format!(
        "Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nSummary: A test package\n\
         Classifier: Programming Language :: Python :: 3\nClassifier: License :: OSI Approved :: MIT License\n\
         License: MIT\n        second line\nDescription-Content-Type: text/markdown\n\n\
         # {name}\n\nNon-ASCII: café, 日本語, ✓\n"
    )
}

/// Writes a zip with the given (member, contents), deflated.
fn write_zip(path: &Path, members: &[(&str, &str)]) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, contents) in members {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

/// Writes a gzipped tar with the given (member, contents).
fn write_tar_gz(path: &Path, members: &[(&str, &str)]) {
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(path).unwrap(),
        flate2::Compression::default(),
    );
    let mut tar = tar::Builder::new(gz);
    for (name, contents) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(contents.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, name, contents.as_bytes())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn wheel_metadata() {
    let dir = tmp();
    let path = dir.path().join("my_pkg-1.2.0-py3-none-any.whl");
    let text = metadata_text("my-pkg", "1.2.0");
    write_zip(
        &path,
        &[
            ("my_pkg/__init__.py", "__version__ = '1.2.0'\n"),
            // A METADATA file elsewhere must not be taken.
            (
                "my_pkg/vendored-0.1.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: x\nVersion: 9\n",
            ),
            ("my_pkg-1.2.0.dist-info/METADATA", &text),
            ("my_pkg-1.2.0.dist-info/RECORD", ""),
        ],
    );
    let (dist, meta) = read_metadata(&path).unwrap();
    assert_eq!(dist.kind, DistKind::Wheel);
    assert_eq!(
        (meta.name(), meta.version(), meta.metadata_version()),
        ("my-pkg", "1.2.0", "2.1")
    );
    assert_eq!(meta.get_all("classifier").len(), 2);
    assert_eq!(meta.get("license"), Some("MIT\nsecond line"));
    assert_eq!(
        meta.description(),
        Some("# my-pkg\n\nNon-ASCII: café, 日本語, ✓\n")
    );
}

#[test]
fn wheel_dist_info_spelled_differently_is_found() {
    let dir = tmp();
    let path = dir
        .path()
        .join("zope.interface-6.0-cp311-cp311-linux_x86_64.whl");
    write_zip(
        &path,
        &[(
            "Zope.Interface-6.0.dist-info/METADATA",
            &metadata_text("zope.interface", "6.0"),
        )],
    );
    let (_, meta) = read_metadata(&path).unwrap();
    assert_eq!(meta.name(), "zope.interface");
}

#[test]
fn wheel_without_metadata_names_the_expected_member() {
    let dir = tmp();
    let path = dir.path().join("foo-1.0-py3-none-any.whl");
    write_zip(&path, &[("foo/__init__.py", "")]);
    let err = read_metadata(&path).unwrap_err();
    assert!(matches!(err, DistError::MissingMetadata { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("foo-1.0-py3-none-any.whl` has no core metadata"),
        "{msg}"
    );
    assert!(msg.contains("`foo-1.0.dist-info/METADATA`"), "{msg}");
}

#[test]
fn corrupt_zip_is_a_clear_error_naming_the_file() {
    let dir = tmp();
    let path = dir.path().join("foo-1.0-py3-none-any.whl");
    std::fs::write(&path, b"PK\x03\x04 this is not really a zip file").unwrap();
    let err = read_metadata(&path).unwrap_err();
    assert!(
        matches!(err, DistError::BadArchive { format: "zip", .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("foo-1.0-py3-none-any.whl` is not a readable zip archive")
    );
}

#[test]
fn sdist_top_level_pkg_info_not_a_nested_one() {
    let dir = tmp();
    let path = dir.path().join("foo_bar-2.0.tar.gz");
    write_tar_gz(
        &path,
        &[
            (
                "foo_bar-2.0/src/foo_bar.egg-info/PKG-INFO",
                "Metadata-Version: 2.1\nName: nested\nVersion: 0\n",
            ),
            ("foo_bar-2.0/tests/data/PKG-INFO", "garbage"),
            ("foo_bar-2.0/PKG-INFO", &metadata_text("foo-bar", "2.0")),
        ],
    );
    let (dist, meta) = read_metadata(&path).unwrap();
    assert_eq!(
        (dist.kind, dist.python_tag.as_str()),
        (DistKind::Sdist, "source")
    );
    assert_eq!((meta.name(), meta.version()), ("foo-bar", "2.0"));
}

#[test]
fn sdist_without_pkg_info() {
    let dir = tmp();
    let path = dir.path().join("foo-2.0.tar.gz");
    write_tar_gz(
        &path,
        &[("foo-2.0/src/foo/PKG-INFO", "x"), ("foo-2.0/setup.py", "")],
    );
    let msg = read_metadata(&path).unwrap_err().to_string();
    assert!(
        msg.contains("has no core metadata: expected `foo-2.0/PKG-INFO` in the archive\nhint: "),
        "{msg}"
    );
}

#[test]
fn corrupt_gzip_names_the_file() {
    let dir = tmp();
    let path = dir.path().join("foo-2.0.tar.gz");
    std::fs::write(&path, b"\x1f\x8b\x08\x00 not gzip at all").unwrap();
    let msg = read_metadata(&path).unwrap_err().to_string();
    assert!(
        msg.contains("foo-2.0.tar.gz` is not a readable tar.gz archive"),
        "{msg}"
    );
}

#[test]
fn legacy_zip_sdist_with_dash_in_name() {
    let dir = tmp();
    let path = dir.path().join("Foo-Bar-1.0.zip");
    write_zip(
        &path,
        &[
            ("Foo-Bar-1.0/setup.py", ""),
            (
                "Foo-Bar-1.0/PKG-INFO",
                "Metadata-Version: 1.0\nName: Foo-Bar\nVersion: 1.0\nDescription: old\n        style\n",
            ),
        ],
    );
    let (dist, meta) = read_metadata(&path).unwrap();
    assert_eq!(
        (dist.name.as_str(), dist.normalized_name()),
        ("Foo-Bar", "foo-bar".to_string())
    );
    assert_eq!(meta.description(), Some("old\nstyle"));
}

#[test]
fn invalid_metadata_names_archive_and_member() {
    let dir = tmp();
    let path = dir.path().join("foo-1.0-py3-none-any.whl");
    write_zip(
        &path,
        &[(
            "foo-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: foo\n",
        )],
    );
    let msg = read_metadata(&path).unwrap_err().to_string();
    assert!(
        msg.contains("foo-1.0-py3-none-any.whl!foo-1.0.dist-info/METADATA`"),
        "{msg}"
    );
    assert!(msg.contains("`Version` is missing"), "{msg}");
}

#[test]
fn find_dists_orders_and_ignores() {
    let dir = tmp();
    let touch = |n: &str| std::fs::write(dir.path().join(n), b"").unwrap();
    for n in [
        "pkg-1.0-py3-none-any.whl",
        "pkg-1.0.tar.gz",
        "abc-1.0-py3-none-any.whl",
        "SHA256SUMS",
        "pkg-1.0.tar.gz.publish.attestation",
        "notes.txt",
        ".gitignore",
    ] {
        touch(n);
    }
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/inner-1.0.tar.gz"), b"").unwrap();
    let found = find_dists(dir.path()).unwrap();
    let names: Vec<_> = found.dists.iter().map(|d| d.filename.as_str()).collect();
    assert_eq!(
        names,
        [
            "pkg-1.0.tar.gz",
            "abc-1.0-py3-none-any.whl",
            "pkg-1.0-py3-none-any.whl"
        ]
    );
    let ignored: Vec<(PathBuf, &str)> = found
        .ignored
        .iter()
        .map(|i| {
            (
                i.path.strip_prefix(dir.path()).unwrap().to_path_buf(),
                i.reason.as_str(),
            )
        })
        .collect();
    let ignored: Vec<_> = ignored
        .iter()
        .map(|(p, r)| (p.to_str().unwrap(), *r))
        .collect();
    assert_eq!(
        ignored,
        [
            (".gitignore", "not a wheel or sdist"),
            ("SHA256SUMS", "not a wheel or sdist"),
            ("notes.txt", "not a wheel or sdist"),
            ("pkg-1.0.tar.gz.publish.attestation", "not a wheel or sdist"),
            ("sub", "a directory")
        ]
    );

    touch("broken.whl");
    let msg = find_dists(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("broken.whl` is not a valid distribution file name"),
        "{msg}"
    );
    let missing = find_dists(&dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(missing.starts_with("cannot read `"), "{missing}");
}

#[test]
fn broken_and_looping_symlinks_that_are_not_dists_are_ignored() {
    let dir = tmp();
    std::fs::write(dir.path().join("pkg-1.0.tar.gz"), b"").unwrap();
    std::os::unix::fs::symlink(dir.path().join("gone"), dir.path().join("stale.txt")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop-b"), dir.path().join("loop-a")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("loop-a"), dir.path().join("loop-b")).unwrap();
    let found = find_dists(dir.path()).unwrap();
    assert_eq!(found.dists.len(), 1);
    let reasons: Vec<_> = found.ignored.iter().map(|i| i.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "a symlink loop",
            "a symlink loop",
            "a symlink to a missing file"
        ]
    );
    // A broken symlink that looks like a dist is an error: it was meant to be published.
    std::os::unix::fs::symlink(
        dir.path().join("gone"),
        dir.path().join("pkg-1.0-py3-none-any.whl"),
    )
    .unwrap();
    let msg = find_dists(dir.path()).unwrap_err().to_string();
    assert!(
        msg.contains("pkg-1.0-py3-none-any.whl`: it is a symlink to a missing file"),
        "{msg}"
    );
}

#[test]
fn names_with_spaces_or_control_characters_are_refused_with_the_name_escaped() {
    let dir = tmp();
    for (name, what) in [
        ("pkg-1.0 (1).tar.gz", "a space"),
        ("pkg-1.0-py3-none-any\n.whl", "a newline"),
        ("pkg-1.0\t.tar.gz", "a tab"),
        ("pkg-1.0-py3-none-any\u{7f}.whl", "U+007F"),
    ] {
        let sub = dir.path().join(what.replace(' ', "_"));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(name), b"").unwrap();
        let msg = find_dists(&sub).unwrap_err().to_string();
        assert!(msg.contains(what), "{name:?}: {msg}");
        assert!(msg.contains("hint: rename"), "{msg}");
        assert!(!msg.lines().next().unwrap().contains('\n'));
        assert!(msg.contains(&name.escape_debug().to_string()), "{msg}");
    }
}

/// A wheel with METADATA, WHEEL and a matching RECORD, plus `extra` members, as (name, bytes).
fn wheel_members(extra: Vec<(String, Vec<u8>)>) -> Vec<(String, Vec<u8>)> {
    let mut members = extra;
    members.push((
        "demo-1.0.dist-info/METADATA".into(),
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n".to_vec(),
    ));
    members.push((
        "demo-1.0.dist-info/WHEEL".into(),
        b"Wheel-Version: 1.0\n".to_vec(),
    ));
    let mut record: String = members.iter().map(|(n, _)| format!("{n},,\n")).collect();
    record.push_str("demo-1.0.dist-info/RECORD,,\n");
    members.push(("demo-1.0.dist-info/RECORD".into(), record.into_bytes()));
    members
}

fn write_zip_with(path: &Path, members: &[(String, Vec<u8>)], method: zip::CompressionMethod) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = SimpleFileOptions::default()
        .compression_method(method)
        .large_file(true);
    for (name, contents) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap();
}

fn rules(path: &Path) -> Vec<&'static str> {
    slipway_dist::inspect(path)
        .unwrap()
        .findings
        .iter()
        .map(|f| f.rule)
        .collect()
}

#[test]
fn a_clean_wheel_has_no_findings_and_a_zip_bomb_is_one() {
    let dir = tmp();
    let path = dir.path().join("demo-1.0-py3-none-any.whl");
    write_zip_with(
        &path,
        &wheel_members(vec![]),
        zip::CompressionMethod::Deflated,
    );
    assert_eq!(rules(&path), Vec::<&str>::new());
    let zeros = vec![0u8; 80 * 1024 * 1024];
    write_zip_with(
        &path,
        &wheel_members(vec![("demo/zeros.bin".into(), zeros)]),
        zip::CompressionMethod::Deflated,
    );
    assert_eq!(rules(&path), ["zip-ratio"]);
}

#[test]
fn members_compressed_with_another_method_are_found() {
    let dir = tmp();
    let path = dir.path().join("demo-1.0-py3-none-any.whl");
    let members = wheel_members(vec![("demo/a.py".into(), b"x = 1\n".to_vec())]);
    write_zip_with(&path, &members, zip::CompressionMethod::Stored);
    // Mark the first member (`demo/a.py`) as bzip2 (method 12) in its local and central headers.
    let mut bytes = std::fs::read(&path).unwrap();
    let local = bytes
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x03, 0x04])
        .unwrap();
    let central = bytes
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
        .unwrap();
    bytes[local + 8] = 12;
    bytes[central + 10] = 12;
    std::fs::write(&path, bytes).unwrap();
    let findings = slipway_dist::inspect(&path).unwrap().findings;
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].rule, "zip-compression");
    assert!(findings[0].message.contains("`demo/a.py`"), "{findings:?}");
}
