//! Dists made by hand for edge cases: wheels with chosen members (RECORD written to match unless
//! told otherwise), sdists with a chosen layout, and the check of a captured form against
//! Python's own reading of the metadata (`check_form.py`).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What [`check_form`] found: each list empty means the form is exactly the dist's metadata.
#[derive(Debug, Default)]
pub(crate) struct FormCheck {
    /// `Metadata.from_raw(form, validate=True)` errors.
    pub invalid: Vec<String>,
    /// Fields of the dist missing from the form.
    pub lost: Vec<String>,
    /// Fields whose value differs.
    pub altered: Vec<String>,
    /// Form fields the dist does not have.
    pub added: Vec<String>,
    /// Fields newer than the declared Metadata-Version (left out on purpose).
    pub omitted: Vec<String>,
    /// Fields `parse_email` could not parse.
    pub unparsed: Vec<String>,
}

/// Runs `check_form.py` on a captured form (text fields) and the dist's metadata text.
pub(crate) fn check_form(form: &[(String, String)], text: &str) -> FormCheck {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/common/check_form.py");
    let mut child = Command::new(super::tool("python"))
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = serde_json::json!({ "form": form, "text": text }).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = |k: &str| -> Vec<String> {
        v[k].as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    FormCheck {
        invalid: list("invalid"),
        lost: list("lost"),
        altered: list("altered"),
        added: list("added"),
        omitted: list("omitted"),
        unparsed: list("unparsed"),
    }
}

/// The metadata text inside a dist (wheel METADATA or sdist PKG-INFO), read with Python.
pub(crate) fn metadata_text(dist: &Path) -> String {
    let script = r#"
import sys, zipfile, tarfile
p = sys.argv[1]
if p.endswith('.whl'):
    z = zipfile.ZipFile(p)
    name = [n for n in z.namelist() if n.count('/') == 1 and n.endswith('.dist-info/METADATA')][0]
    data = z.read(name)
else:
    t = tarfile.open(p)
    name = [m for m in t.getnames() if m.count('/') == 1 and m.endswith('/PKG-INFO')][0]
    data = t.extractfile(name).read()
sys.stdout.buffer.write(data)
"#;
    let out = Command::new(super::tool("python"))
        .args(["-c", script])
        .arg(dist)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The `{name}-{version}` start of a dist file name.
fn stem(filename: &str) -> String {
    let mut parts = filename.splitn(3, '-');
    format!(
        "{}-{}",
        parts.next().unwrap(),
        parts.next().unwrap().trim_end_matches(".tar.gz")
    )
}

/// Writes a zip with `members`, stored or deflated, every entry dated 1980-01-01 (zip's
/// earliest), so the same members make the same bytes.
pub(crate) fn zip(path: &Path, members: &[(String, Vec<u8>)], method: zip::CompressionMethod) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(method)
        .last_modified_time(zip::DateTime::default());
    for (name, contents) in members {
        zip.start_file(name.as_str(), options).unwrap();
        zip.write_all(contents).unwrap();
    }
    zip.finish().unwrap();
}

/// A wheel `filename` in `dir` with `METADATA` = `metadata`, a WHEEL file, `extra` members,
/// and a RECORD listing them all.
pub(crate) fn wheel(dir: &Path, filename: &str, metadata: &str, extra: &[(&str, &str)]) -> PathBuf {
    let info = format!("{}.dist-info", stem(filename));
    let mut members: Vec<(String, Vec<u8>)> = extra
        .iter()
        .map(|(n, c)| (n.to_string(), c.as_bytes().to_vec()))
        .collect();
    members.push((format!("{info}/METADATA"), metadata.as_bytes().to_vec()));
    members.push((
        format!("{info}/WHEEL"),
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
    ));
    let mut record: String = members.iter().map(|(n, _)| format!("{n},,\n")).collect();
    record.push_str(&format!("{info}/RECORD,,\n"));
    members.push((format!("{info}/RECORD"), record.into_bytes()));
    let path = dir.join(filename);
    zip(&path, &members, zip::CompressionMethod::Deflated);
    path
}

/// Writes a gzipped tarball of `members`.
pub(crate) fn tar_gz(path: &Path, members: &[(String, Vec<u8>)]) {
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
        tar.append_data(&mut header, name, contents.as_slice())
            .unwrap();
    }
    tar.into_inner().unwrap().finish().unwrap();
}

/// An sdist `filename` in `dir` unpacking into `{stem}/` with `PKG-INFO` = `pkg_info`, a
/// setup.py and `extra` members (paths inside the top directory).
pub(crate) fn sdist(dir: &Path, filename: &str, pkg_info: &str, extra: &[(&str, &str)]) -> PathBuf {
    let top = stem(filename);
    let mut members = vec![
        (format!("{top}/PKG-INFO"), pkg_info.as_bytes().to_vec()),
        (
            format!("{top}/setup.py"),
            b"from setuptools import setup\nsetup()\n".to_vec(),
        ),
    ];
    members.extend(
        extra
            .iter()
            .map(|(n, c)| (format!("{top}/{n}"), c.as_bytes().to_vec())),
    );
    let path = dir.join(filename);
    tar_gz(&path, &members);
    path
}
