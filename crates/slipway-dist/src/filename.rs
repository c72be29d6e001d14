//! Wheel and sdist file names (PEP 427/491 wheels, PEP 625 and legacy sdists).

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use pep440_rs::Version;

use crate::DistError;

/// Which kind of distribution a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DistKind {
    /// A built distribution (`.whl`).
    Wheel,
    /// A source distribution (`.tar.gz`, legacy `.zip`).
    Sdist,
}

impl DistKind {
    /// The upload API's `filetype` value: `bdist_wheel` or `sdist`.
    pub fn filetype(self) -> &'static str {
        match self {
            DistKind::Wheel => "bdist_wheel",
            DistKind::Sdist => "sdist",
        }
    }
}

impl fmt::Display for DistKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DistKind::Wheel => "wheel",
            DistKind::Sdist => "sdist",
        })
    }
}

/// A distribution file, described by its name alone.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DistFile {
    /// Where the file is.
    pub path: PathBuf,
    /// The file name (last path component).
    pub filename: String,
    /// Wheel or sdist.
    pub kind: DistKind,
    /// The distribution name as written in the file name.
    pub name: String,
    /// The version as written in the file name.
    pub version: String,
    /// The wheel's python tag (`py3`, `cp311.cp312`); `source` for sdists.
    pub python_tag: String,
}

/// The archive suffixes an sdist may have, longest first.
const SDIST_SUFFIXES: [&str; 2] = [".tar.gz", ".zip"];

/// Is this a file name with a distribution suffix (`.whl`, `.tar.gz`, `.zip`)?
pub(crate) fn has_dist_suffix(filename: &str) -> bool {
    let lower = filename.to_ascii_lowercase();
    lower.ends_with(".whl") || SDIST_SUFFIXES.iter().any(|s| lower.ends_with(s))
}

impl DistFile {
    /// Parses the file *name* of `path` (the file is not opened); errors say what is wrong with it.
    pub fn from_path(path: &Path) -> Result<DistFile, DistError> {
        let bad = |reason: String| DistError::BadFilename {
            path: path.to_path_buf(),
            reason,
        };
        let filename = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| bad("the name is missing or not UTF-8".to_string()))?
            .to_string();
        if let Some(what) = unsafe_char(&filename) {
            return Err(DistError::UnsafeFilename {
                path: path.to_path_buf(),
                shown: filename.escape_debug().to_string(),
                what,
            });
        }
        let lower = filename.to_ascii_lowercase();
        let (kind, name, version, python_tag) = if lower.ends_with(".whl") {
            let (name, version, tag) = parse_wheel(&filename[..filename.len() - 4]).map_err(bad)?;
            (DistKind::Wheel, name, version, tag)
        } else if let Some(suffix) = SDIST_SUFFIXES.iter().find(|s| lower.ends_with(*s)) {
            let stem = &filename[..filename.len() - suffix.len()];
            let (name, version) = parse_sdist(stem).map_err(bad)?;
            (DistKind::Sdist, name, version, "source".to_string())
        } else {
            return Err(bad(
                "expected a wheel (`.whl`) or an sdist (`.tar.gz`, `.zip`)".to_string(),
            ));
        };
        Ok(DistFile {
            path: path.to_path_buf(),
            filename,
            kind,
            name,
            version,
            python_tag,
        })
    }

    /// The PEP 503 normalized name (lowercase, runs of `-`, `_`, `.` become one `-`), for comparing names.
    pub fn normalized_name(&self) -> String {
        normalize_name(&self.name)
    }
}

/// The first character no index accepts in a file name (PyPI refuses control characters, `/`
/// and `\\`; a space never appears in a name a build backend writes), described for a message.
fn unsafe_char(filename: &str) -> Option<String> {
    filename.chars().find_map(|c| match c {
        ' ' => Some("a space".to_string()),
        '\n' => Some("a newline".to_string()),
        '\r' => Some("a carriage return".to_string()),
        '\t' => Some("a tab".to_string()),
        '/' | '\\' => Some(format!("a path separator (`{c}`)")),
        c if c.is_control() || c.is_whitespace() => {
            Some(format!("a control or space character (U+{:04X})", c as u32))
        }
        _ => None,
    })
}

/// Whether `name` is a valid project name (`packaging.utils.canonicalize_name(name,
/// validate=True)`): ASCII letters and digits, with `.`, `_`, `-` inside.
pub fn is_valid_project_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"._-".contains(c))
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
}

/// The name part of a dist file name as PyPI wants it: the normalized name with `_` for `-`
/// (`Django` → `django`, `charset-normalizer` → `charset_normalizer`).
pub fn filename_name_part(name: &str) -> String {
    normalize_name(name).replace('-', "_")
}

/// The sdist file name PEP 625 prescribes and PyPI requires: `{name part}-{normalized version}.tar.gz`.
pub fn pep625_sdist_filename(name: &str, version: &Version) -> String {
    format!("{}-{version}.tar.gz", filename_name_part(name))
}

/// PEP 503 name normalization: lowercase, and every run of `-`, `_`, `.` becomes a single `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

fn is_version(text: &str) -> bool {
    !text.is_empty() && Version::from_str(text).is_ok()
}

fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("the distribution name is empty".to_string());
    }
    let ok = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid distribution name (letters, digits, `-`, `_`, `.`; starting and ending with a letter or digit)"
        ))
    }
}

/// `{name}-{ver}(-{build})?-{py}-{abi}-{plat}` → (name, version, python tag).
fn parse_wheel(stem: &str) -> Result<(String, String, String), String> {
    let parts: Vec<&str> = stem.split('-').collect();
    if parts.len() != 5 && parts.len() != 6 {
        return Err(format!(
            "a wheel name has 5 or 6 `-`-separated parts (`{{name}}-{{version}}(-{{build}})?-{{python}}-{{abi}}-{{platform}}.whl`), this one has {}",
            parts.len()
        ));
    }
    let (name, version) = (parts[0], parts[1]);
    check_name(name)?;
    if !is_version(version) {
        return Err(format!("`{version}` is not a valid PEP 440 version"));
    }
    if parts.len() == 6 && !parts[2].starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "the build tag `{}` must start with a digit",
            parts[2]
        ));
    }
    let tags = &parts[parts.len() - 3..];
    if let Some(empty) = ["python", "abi", "platform"]
        .iter()
        .zip(tags)
        .find(|(_, t)| t.is_empty())
    {
        return Err(format!("the {} tag is empty", empty.0));
    }
    Ok((name.to_string(), version.to_string(), tags[0].to_string()))
}

/// `{name}-{ver}`, where a legacy name may itself contain `-`: split at the last `-` that is
/// followed by a valid version.
fn parse_sdist(stem: &str) -> Result<(String, String), String> {
    let split = stem
        .char_indices()
        .rev()
        .filter(|&(_, c)| c == '-')
        .map(|(i, _)| i)
        .find(|&i| is_version(&stem[i + 1..]));
    let Some(i) = split else {
        return Err(
            "an sdist name is `{name}-{version}.tar.gz` and no `-` here is followed by a valid PEP 440 version"
                .to_string(),
        );
    };
    let (name, version) = (&stem[..i], &stem[i + 1..]);
    check_name(name)?;
    Ok((name.to_string(), version.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str) -> Result<DistFile, DistError> {
        DistFile::from_path(&Path::new("dist").join(name))
    }

    #[test]
    fn wheels() {
        let w = parse("zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl").unwrap();
        assert_eq!(
            (
                w.kind,
                w.name.as_str(),
                w.version.as_str(),
                w.python_tag.as_str()
            ),
            (DistKind::Wheel, "zope.interface", "6.0", "cp311")
        );
        assert_eq!(w.normalized_name(), "zope-interface");
        assert_eq!(
            w.path,
            Path::new("dist/zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl")
        );

        let w = parse("my_pkg-1.0.post1-1-cp311.cp312-abi3-any.whl").unwrap();
        assert_eq!(
            (w.name.as_str(), w.version.as_str(), w.python_tag.as_str()),
            ("my_pkg", "1.0.post1", "cp311.cp312")
        );
        assert_eq!(w.normalized_name(), "my-pkg");
    }

    #[test]
    fn sdists() {
        let s = parse("my_pkg-1.0.tar.gz").unwrap();
        assert_eq!(
            (
                s.kind,
                s.name.as_str(),
                s.version.as_str(),
                s.python_tag.as_str()
            ),
            (DistKind::Sdist, "my_pkg", "1.0", "source")
        );
        let s = parse("Foo-Bar-2.0rc1.zip").unwrap();
        assert_eq!((s.name.as_str(), s.version.as_str()), ("Foo-Bar", "2.0rc1"));
        assert_eq!(s.normalized_name(), "foo-bar");
        let s = parse("zope.interface-6.0.tar.gz").unwrap();
        assert_eq!(
            (s.name.as_str(), s.version.as_str()),
            ("zope.interface", "6.0")
        );
        // The last `-` is not followed by a version, the one before is.
        let s = parse("pkg-1.0-post1.tar.gz").unwrap();
        assert_eq!((s.name.as_str(), s.version.as_str()), ("pkg", "1.0-post1"));
    }

    #[test]
    fn bad_names_say_what_is_wrong() {
        let msg = |n: &str| parse(n).unwrap_err().to_string();
        assert!(
            msg("foo-1.0-py3.whl").contains("5 or 6"),
            "{}",
            msg("foo-1.0-py3.whl")
        );
        assert!(msg("foo-one-py3-none-any.whl").contains("`one` is not a valid PEP 440 version"));
        assert!(msg("foo-1.0-x1-py3-none-any.whl").contains("build tag `x1`"));
        assert!(msg("foo.tar.gz").contains("no `-`"));
        assert!(msg("foo-1.0.tar.bz2").contains("expected a wheel"));
        assert!(msg("-1.0.tar.gz").contains("name is empty"));
        let m = msg("foo-bar!-1.0.tar.gz");
        assert!(
            m.starts_with("`dist/foo-bar!-1.0.tar.gz` is not a valid distribution file name"),
            "{m}"
        );
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize_name("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(normalize_name("A"), "a");
    }
}
