//! The checksums manifest (`SHA256SUMS`, in `sha256sum` format) a release carries beside its
//! files: which SHA-256 each file name must have.

use std::collections::BTreeMap;

/// One name's entry: its hash, or a conflict when the manifest lists it twice differently.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    Hash(String),
    Conflict,
}

/// A parsed manifest; see [`Manifest::parse`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    entries: BTreeMap<String, Entry>,
    /// Lines that are neither blank, comments, nor `<64 hex> <name>`.
    pub malformed: Vec<String>,
}

/// What a manifest says about one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Not listed.
    Absent,
    /// Listed with this lowercase hex SHA-256.
    Hash(&'a str),
    /// Listed more than once with different hashes.
    Conflict,
}

impl Manifest {
    /// Parses `sha256sum` output: `<64 hex><space><space or *><name>` per line. Names are keyed
    /// by their last path component (`sha256sum dist/*` writes `dist/x.whl`), `./` included.
    /// Blank lines and `#` comments are skipped; GNU's escaped lines (starting with `\`, for
    /// names with newlines or backslashes) and anything else malformed are kept in `malformed`.
    pub fn parse(text: &str) -> Self {
        let mut m = Self::default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let parsed = line.split_once(' ').and_then(|(hash, rest)| {
                let valid = hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit());
                let name = rest.strip_prefix(' ').or_else(|| rest.strip_prefix('*'))?;
                let name = name.rsplit('/').next().unwrap_or(name);
                (valid && !name.is_empty()).then(|| (hash.to_ascii_lowercase(), name))
            });
            let Some((hash, name)) = parsed else {
                m.malformed.push(line.to_string());
                continue;
            };
            let entry = m
                .entries
                .entry(name.to_string())
                .or_insert_with(|| Entry::Hash(hash.clone()));
            if *entry != Entry::Hash(hash) {
                *entry = Entry::Conflict;
            }
        }
        m
    }

    /// What the manifest says about `name`.
    pub fn lookup(&self, name: &str) -> Lookup<'_> {
        match self.entries.get(name) {
            None => Lookup::Absent,
            Some(Entry::Hash(h)) => Lookup::Hash(h),
            Some(Entry::Conflict) => Lookup::Conflict,
        }
    }

    /// How many names it lists.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when it lists no name.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const B: &str = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";

    #[test]
    fn sha256sum_text_and_binary_modes_and_paths() {
        let text = format!(
            "{A}  pkg-1.0.tar.gz\n{} *pkg-1.0-py3-none-any.whl\n\n# comment\n{B}  dist/other.whl\r\n{B}  ./dot.whl\n",
            B.to_uppercase()
        );
        let m = Manifest::parse(&text);
        assert_eq!(m.lookup("pkg-1.0.tar.gz"), Lookup::Hash(A));
        assert_eq!(m.lookup("pkg-1.0-py3-none-any.whl"), Lookup::Hash(B));
        assert_eq!(m.lookup("other.whl"), Lookup::Hash(B));
        assert_eq!(m.lookup("dot.whl"), Lookup::Hash(B));
        assert_eq!(m.lookup("missing"), Lookup::Absent);
        assert_eq!(m.len(), 4);
        assert!(m.malformed.is_empty(), "{:?}", m.malformed);
    }

    #[test]
    fn conflicts_and_malformed_lines() {
        let text = format!(
            "{A}  x.whl\n{B}  x.whl\n{A}  x.whl\nnot a line\nabc  short.whl\n\\{A}  a\\\\b\n"
        );
        let m = Manifest::parse(&text);
        assert_eq!(m.lookup("x.whl"), Lookup::Conflict);
        assert_eq!(m.malformed.len(), 3, "{:?}", m.malformed);
        let same = Manifest::parse(&format!("{A}  y.whl\n{A} *y.whl\n"));
        assert_eq!(same.lookup("y.whl"), Lookup::Hash(A));
    }
}
