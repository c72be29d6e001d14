//! The pre-flight rules agree with the Python code PyPI runs, over tables of real-world values:
//! file names with `packaging.utils` (`parse_sdist_filename`, `parse_wheel_filename`,
//! `canonicalize_name`: the same names are refused, and the name slipway says PyPI wants is the
//! one PyPI computes), `License-Expression` with `packaging.licenses`, e-mail addresses with
//! `email.utils.parseaddr` + `email_validator`.

mod common;

use std::path::Path;
use std::process::Command;

use common::tool;
use slipway_dist::DistFile;
use slipway_pypi::preflight::names;

/// (file name, metadata Name, metadata Version).
const TABLE: &[(&str, &str, &str)] = &[
    ("Django-5.1.1.tar.gz", "Django", "5.1.1"),
    ("django-5.1.1.tar.gz", "Django", "5.1.1"),
    ("MarkupSafe-2.1.5.tar.gz", "MarkupSafe", "2.1.5"),
    ("markupsafe-2.1.5.tar.gz", "MarkupSafe", "2.1.5"),
    (
        "charset-normalizer-3.3.2.tar.gz",
        "charset-normalizer",
        "3.3.2",
    ),
    (
        "charset_normalizer-3.3.2.tar.gz",
        "charset-normalizer",
        "3.3.2",
    ),
    (
        "python-dateutil-2.9.0.post0.tar.gz",
        "python-dateutil",
        "2.9.0.post0",
    ),
    (
        "python_dateutil-2.9.0.post0.tar.gz",
        "python-dateutil",
        "2.9.0.post0",
    ),
    ("zope.interface-6.0.tar.gz", "zope.interface", "6.0"),
    ("zope_interface-6.0.tar.gz", "zope.interface", "6.0"),
    ("PyYAML-6.0.1.tar.gz", "PyYAML", "6.0.1"),
    ("pyyaml-6.0.1.tar.gz", "PyYAML", "6.0.1"),
    ("certifi-2024.08.30.tar.gz", "certifi", "2024.08.30"),
    ("certifi-2024.8.30.tar.gz", "certifi", "2024.08.30"),
    ("six-1.16.0.tar.gz", "six", "1.16.0"),
    (
        "typing_extensions-4.12.2.tar.gz",
        "typing_extensions",
        "4.12.2",
    ),
    ("Flask-3.0.3.tar.gz", "Flask", "3.0.3"),
    (
        "backports.zoneinfo-0.2.1.tar.gz",
        "backports.zoneinfo",
        "0.2.1",
    ),
    ("numpy-2.1.0rc1.tar.gz", "numpy", "2.1.0rc1"),
    ("numpy-2.1.0-rc.1.tar.gz", "numpy", "2.1.0rc1"),
    ("pkg-1.0-post1.tar.gz", "pkg", "1.0.post1"),
    ("epoch-1!2.0.tar.gz", "epoch", "1!2.0"),
    ("Foo__Bar-1.0.tar.gz", "Foo__Bar", "1.0"),
    ("foo_bar-1.0.zip", "foo-bar", "1.0"),
    (
        "Edge.Mixed_Name-1.0-py3-none-any.whl",
        "Edge.Mixed_Name",
        "1.0",
    ),
    (
        "edge_mixed_name-1.0-py3-none-any.whl",
        "Edge.Mixed_Name",
        "1.0",
    ),
    ("Django-5.1.1-py3-none-any.whl", "Django", "5.1.1"),
    ("django-5.1.1-py3-none-any.whl", "Django", "5.1.1"),
    (
        "PyYAML-6.0.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "PyYAML",
        "6.0.1",
    ),
    (
        "pyyaml-6.0.1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "PyYAML",
        "6.0.1",
    ),
    (
        "zope.interface-6.0-cp311-cp311-macosx_11_0_arm64.whl",
        "zope.interface",
        "6.0",
    ),
    (
        "zope_interface-6.0-cp311-cp311-macosx_11_0_arm64.whl",
        "zope.interface",
        "6.0",
    ),
    (
        "MarkupSafe-2.1.5-cp312-cp312-win_amd64.whl",
        "MarkupSafe",
        "2.1.5",
    ),
    (
        "markupsafe-2.1.5-cp312-cp312-win_amd64.whl",
        "MarkupSafe",
        "2.1.5",
    ),
    (
        "numpy-2.1.0-cp313-cp313t-musllinux_1_2_aarch64.whl",
        "numpy",
        "2.1.0",
    ),
    ("six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0"),
    ("foo-1.0-1-py3-none-any.whl", "foo", "1.0"),
    (
        "certifi-2024.08.30-py3-none-any.whl",
        "certifi",
        "2024.8.30",
    ),
    ("Foo-1.0-py3-none-any.whl", "foo", "1.0"),
];

/// PyPI's verdict per row, from its upload code's file-name checks on `packaging.utils`:
/// `None` when accepted, else the file name it asks for.
const PYPI: &str = r#"
import json, sys
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version
out = []
for filename, name, version in json.load(sys.stdin):
    want = canonicalize_name(name).replace("-", "_")
    if filename.endswith(".whl"):
        parsed, v, _, _ = parse_wheel_filename(filename)
        part, rest = filename.split("-", 1)
        ok = part == want and parsed == canonicalize_name(name) and v == Version(version)
        out.append([None if ok else f"{want}-{rest}", canonicalize_name(name)])
    else:
        expected = f"{want}-{Version(version)}.tar.gz"
        try:
            parse_sdist_filename(filename)  # "Invalid source distribution filename" otherwise
        except ValueError:
            out.append([expected, canonicalize_name(name)])
            continue
        out.append([None if filename == expected else expected, canonicalize_name(name)])
print(json.dumps(out))
"#;

#[test]
fn file_name_rules_agree_with_packaging() {
    let input = serde_json::to_string(TABLE).unwrap();
    let mut child = Command::new(tool("python"))
        .args(["-c", PYPI])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let pypi: Vec<(Option<String>, String)> = serde_json::from_slice(&out.stdout).unwrap();
    let mut refused = 0;
    for ((filename, name, version), (want, canonical)) in TABLE.iter().zip(pypi) {
        assert_eq!(slipway_dist::normalize_name(name), canonical, "{name}");
        let file = DistFile::from_path(&Path::new("dist").join(filename)).unwrap();
        let findings = names::check(&file, name, version);
        let errors: Vec<_> = findings.iter().filter(|f| f.is_error()).collect();
        match want {
            None => assert!(
                errors.is_empty(),
                "{filename}: PyPI accepts it, slipway says {errors:?}"
            ),
            Some(want) => {
                refused += 1;
                assert_eq!(
                    errors.len(),
                    1,
                    "{filename}: PyPI wants `{want}`, slipway says {findings:?}"
                );
                let f = errors[0];
                assert!(
                    f.message.contains(&format!("`{want}`"))
                        || f.hint.contains(&format!("`{want}`")),
                    "{filename}: PyPI wants `{want}`: {f:?}"
                );
            }
        }
    }
    assert!(
        refused >= 15,
        "the table has names PyPI refuses ({refused})"
    );
}

/// `License-Expression` values: slipway refuses exactly what `packaging.licenses` refuses.
#[test]
fn license_expressions_agree_with_packaging() {
    let table = [
        "MIT",
        "mit",
        "MIT AND (Apache-2.0 OR BSD-2-Clause)",
        "GPL-2.0-or-later WITH Classpath-exception-2.0",
        "LicenseRef-Proprietary",
        "LicenseRef-My.Own-1",
        "Apache-2.0+",
        "(MIT)",
        "((MIT OR 0BSD) AND Zlib)",
        "",
        "(mit",
        "MIT OR",
        "MIT Apache-2.0",
        "()",
        "Use-it-after-midnight",
        "Apache 2.0",
        "MIT License",
        "MIT WITH Not-An-Exception",
        "LicenseRef-",
        "LicenseRef-x+",
        "LicenseRef-a_b",
        "WITH Classpath-exception-2.0",
        "MIT WITH",
        "MIT AND AND Zlib",
        "BSD-3-Clause-LBNL",
    ];
    let script = r#"
import json, sys
from packaging.licenses import canonicalize_license_expression
out = []
for e in json.load(sys.stdin):
    try:
        canonicalize_license_expression(e)
        out.append(True)
    except ValueError:
        out.append(False)
print(json.dumps(out))
"#;
    let mut child = Command::new(tool("python"))
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&table).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let valid: Vec<bool> = serde_json::from_slice(&out.stdout).unwrap();
    for (expression, valid) in table.iter().zip(valid) {
        let ours = slipway_pypi::preflight::license::invalid_expression(expression);
        assert_eq!(
            ours.is_none(),
            valid,
            "`{expression}`: packaging says valid={valid}, slipway {ours:?}"
        );
    }
}

/// Runs `script` with `input` as JSON on stdin; returns its JSON output.
fn python(script: &str, input: &serde_json::Value) -> serde_json::Value {
    let mut child = Command::new(tool("python"))
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `Author-email` values holding one address: slipway refuses exactly what PyPI's check
/// (`parseaddr`, then `email_validator.validate_email(..., check_deliverability=False)`) refuses.
#[test]
fn email_addresses_agree_with_email_validator() {
    let table = [
        "Ada Lovelace <ada@example.org>",
        "ada@example.org",
        "ada@example.org (Ada)",
        "\"Lovelace, Ada\" <ada@example.org>",
        "a+tag@sub.example.co.uk",
        "ü@example.org",
        "a@bücher.ch",
        "first.last@example.io",
        "Ada <ada@localhost>",
        "a@b",
        "a@b.c1",
        "a..b@example.org",
        ".a@example.org",
        "a.@example.org",
        "a@-x.org",
        "a@x_y.org",
        "a@x.test",
        "a@x.local",
        "a@[1.2.3.4]",
        "Ada Lovelace",
        "ada(at)example.org",
    ];
    let script = r#"
import json, sys, email.utils
from email_validator import validate_email, EmailNotValidError
out = []
for value in json.load(sys.stdin):
    _, address = email.utils.parseaddr(value)
    refused = False
    if address:
        try:
            validate_email(address, check_deliverability=False)
        except EmailNotValidError:
            refused = True
    out.append(refused)
print(json.dumps(out))
"#;
    let pypi = python(script, &serde_json::json!(table));
    for (value, refused) in table.iter().zip(pypi.as_array().unwrap()) {
        let refused = refused.as_bool().unwrap();
        let ours = slipway_pypi::preflight::email::check_field(value);
        assert_eq!(
            ours.iter().any(|(_, _, refused)| *refused),
            refused,
            "`{value}`: PyPI refuses={refused}, slipway {ours:?}"
        );
    }
}

/// The field table (header, form name, the Metadata-Version that introduced it, multi-use)
/// agrees with `packaging.metadata`'s own, and the versions it knows with packaging's.
#[test]
fn the_field_table_agrees_with_packaging() {
    let script = r#"
import json, sys
from packaging import metadata as pm
json.load(sys.stdin)
override = {"platforms": "platform", "supported_platforms": "supported_platform",
            "license_files": "license_file", "import_names": "import_name",
            "import_namespaces": "import_namespace"}
fields = {email: [override.get(raw, raw), pm.Metadata.__dict__[raw].added,
                  raw in pm._LIST_FIELDS or raw == "project_urls"]
          for raw, email in pm._RAW_TO_EMAIL_MAPPING.items()}
print(json.dumps({"fields": fields, "versions": pm._VALID_METADATA_VERSIONS}))
"#;
    let v = python(script, &serde_json::json!(null));
    let fields = v["fields"].as_object().unwrap();
    assert_eq!(fields.len(), slipway_pypi::metadata::FIELDS.len());
    for spec in slipway_pypi::metadata::FIELDS {
        let want = &fields[&spec.header.to_ascii_lowercase()];
        assert_eq!(want[0], spec.form, "{}", spec.header);
        assert_eq!(want[1], spec.added, "{}", spec.header);
        let multi = want[2].as_bool().unwrap() || spec.header == "Keywords";
        assert_eq!(
            multi,
            spec.multi || spec.header == "Keywords",
            "{}",
            spec.header
        );
    }
    let versions: Vec<&str> = v["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(versions, slipway_pypi::metadata::KNOWN_METADATA_VERSIONS);
}
