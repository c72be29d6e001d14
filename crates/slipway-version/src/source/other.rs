//! setup.cfg/setup.py, package modules, Cargo.toml, built dists and user patterns.

use regex_lite::Regex;

use super::module::{PyFile, Resolved, attr_in_text, resolve_attr};
use super::python::{Binding, Expr, find_binding, logical_lines, parse_expr, split_assignment};
use super::toml_util::{get, get_str, load};
use super::{Ctx, Found, SourceKind};
use crate::VersionError;

/// A parsed INI file (setup.cfg): (section, key, value), keys lowercased, continuation lines joined.
pub(crate) struct Ini(Vec<(String, String, String)>);

impl Ini {
    /// Parses INI text leniently (unknown lines are skipped).
    pub(crate) fn parse(text: &str) -> Ini {
        let mut entries: Vec<(String, String, String)> = Vec::new();
        let mut section = String::new();
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.starts_with(['#', ';']) {
                continue;
            }
            if line.starts_with([' ', '\t']) && !trimmed.is_empty() {
                if let Some(last) = entries.last_mut().filter(|e| e.0 == section) {
                    if !last.2.is_empty() {
                        last.2.push('\n');
                    }
                    last.2.push_str(trimmed);
                }
                continue;
            }
            if let Some(name) = trimmed.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
                section = name.trim().to_string();
                entries.push((section.clone(), String::new(), String::new()));
                continue;
            }
            let split = trimmed.find(['=', ':']);
            if let Some(i) = split {
                let key = trimmed[..i].trim().to_ascii_lowercase().replace('-', "_");
                entries.push((section.clone(), key, trimmed[i + 1..].trim().to_string()));
            }
        }
        Ini(entries)
    }

    /// The value of `key` in `section`.
    pub(crate) fn get(&self, section: &str, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(s, k, _)| s == section && k == key)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether a section exists.
    pub(crate) fn has_section(&self, section: &str) -> bool {
        self.0.iter().any(|(s, _, _)| s == section)
    }
}

/// The keyword arguments of the first `setup(…)` call, as (name, value source).
fn setup_kwargs(source: &str) -> Vec<(String, String)> {
    for line in logical_lines(source) {
        let text = &line.text;
        let Some(start) = text
            .find("setup(")
            .filter(|&i| i == 0 || !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        else {
            continue;
        };
        let args = &text[start + "setup(".len()..];
        let mut out = Vec::new();
        let (mut depth, mut quote, mut from) = (0i32, None, 0usize);
        for (i, c) in args.char_indices() {
            match (quote, c) {
                (Some(q), c) if c == q => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '(' | '[' | '{') => depth += 1,
                (None, ')' | ']' | '}') if depth > 0 => depth -= 1,
                (None, ',' | ')') if depth == 0 => {
                    if let Some((k, v)) = split_assignment(&args[from..i]) {
                        out.push((k.trim().to_string(), v.trim().to_string()));
                    }
                    from = i + 1;
                    if c == ')' {
                        break;
                    }
                }
                _ => {}
            }
        }
        return out;
    }
    Vec::new()
}

/// The literal `name=` of setup.py's `setup(…)`, if any.
pub(crate) fn setup_py_name(source: &str) -> Option<String> {
    setup_kwargs(source)
        .into_iter()
        .find(|(k, _)| k == "name")
        .and_then(|(_, v)| match parse_expr(&v) {
            Expr::Str(s) => Some(s),
            _ => None,
        })
}

/// `setup(version="…")`, or a variable assigned a literal in setup.py or imported from the package.
pub(crate) fn setup_py(
    ctx: &mut Ctx<'_>,
    source: Option<&str>,
    roots: &[String],
) -> Result<Option<Found>, VersionError> {
    let Some(source) = source else {
        ctx.tried("`setup.py` (absent)".to_string());
        return Ok(None);
    };
    let Some((_, value)) = setup_kwargs(source)
        .into_iter()
        .find(|(k, _)| k == "version")
    else {
        ctx.tried("`setup.py`: no `version=` in `setup(…)`".to_string());
        return Ok(None);
    };
    let resolved: Option<Resolved> = match parse_expr(&value) {
        Expr::Str(v) => {
            return ctx
                .found(&v, SourceKind::SetupPy, "setup.py", "setup(version=…)")
                .map(Some);
        }
        Expr::Name(name) => {
            let py = PyFile {
                module: None,
                file: "setup.py",
                text: source,
            };
            attr_in_text(ctx, roots, py, &name, 0)?
        }
        Expr::Attr(base, attr) => match find_binding(source, &base) {
            Some(Binding::Module(m)) => resolve_attr(ctx, roots, &m, &attr)?,
            Some(Binding::Imported { module, name }) => {
                resolve_attr(ctx, roots, &format!("{module}.{name}"), &attr)?
            }
            _ => None,
        },
        Expr::Other(_) => None,
    };
    match resolved {
        Some(r) => ctx
            .found(&r.version, SourceKind::SetupPy, &r.file, r.key)
            .map(Some),
        None => Err(VersionError::Unreadable {
            file: ctx.rel("setup.py"),
            reason: format!("`setup(version={value})` is not a string literal"),
            hint: "write `version=\"1.2.3\"`, or use `version-file` + `version-pattern`"
                .to_string(),
        }),
    }
}

const NOT_PACKAGES: [&str; 12] = [
    "tests",
    "test",
    "docs",
    "doc",
    "examples",
    "example",
    "scripts",
    "benchmarks",
    "build",
    "dist",
    "venv",
    "node_modules",
];
const VERSION_MODULES: [&str; 5] = [
    "__init__",
    "__about__",
    "_version",
    "version",
    "__version__",
];
const VERSION_VARS: [&str; 2] = ["__version__", "VERSION"];

/// The first `__version__`/`VERSION` assigned in a file's text.
fn version_in(
    ctx: &Ctx<'_>,
    roots: &[String],
    py: PyFile<'_>,
) -> Result<Option<Resolved>, VersionError> {
    for var in VERSION_VARS {
        if let Some(r) = attr_in_text(ctx, roots, py, var, 0)? {
            return Ok(Some(r));
        }
    }
    Ok(None)
}

/// `__version__`/`VERSION` in `version-file`, or in the package's usual modules.
pub(crate) fn package(
    ctx: &mut Ctx<'_>,
    names: &[String],
    roots: &[String],
) -> Result<Option<Found>, VersionError> {
    if let Some(file) = ctx.req.version_file.clone() {
        let text = ctx.read(&file)?.ok_or_else(|| VersionError::MissingFile {
            file: ctx.rel(&file),
            what: "`version-file`".to_string(),
        })?;
        let module = file
            .trim_end_matches(".py")
            .trim_end_matches("/__init__")
            .replace('/', ".");
        let module = roots
            .iter()
            .find_map(|r| module.strip_prefix(&format!("{r}.")))
            .unwrap_or(&module)
            .to_string();
        return match version_in(
            ctx,
            roots,
            PyFile {
                module: Some(&module),
                file: &file,
                text: &text,
            },
        )? {
            Some(r) => ctx
                .found(&r.version, SourceKind::Module, &r.file, r.key)
                .map(Some),
            None => Err(VersionError::Unreadable {
                file: ctx.rel(&file),
                reason: "no `__version__` or `VERSION` is assigned".to_string(),
                hint: "use `version-pattern` to say where the version is".to_string(),
            }),
        };
    }
    let mut candidates: Vec<String> = Vec::new();
    for name in names {
        for n in [name.clone(), name.to_lowercase()] {
            if !candidates.contains(&n) {
                candidates.push(n);
            }
        }
    }
    for root in roots {
        for entry in ctx.list(root)?.unwrap_or_default() {
            let name = entry.trim_end_matches(".py").to_string();
            let ident = !name.is_empty()
                && name.chars().all(|c| c.is_alphanumeric() || c == '_')
                && !name.starts_with(|c: char| c.is_ascii_digit() || c == '_');
            if ident
                && !NOT_PACKAGES.contains(&name.as_str())
                && name != "setup"
                && !candidates.contains(&name)
            {
                candidates.push(name);
            }
        }
    }
    for pkg in &candidates {
        for root in roots {
            let dir = crate::files::normalize(&format!("{root}/{pkg}"));
            let modules: Vec<(String, String)> =
                if ctx.read(&format!("{dir}/__init__.py"))?.is_some() {
                    VERSION_MODULES
                        .iter()
                        .map(|m| {
                            let dotted = if *m == "__init__" {
                                pkg.clone()
                            } else {
                                format!("{pkg}.{m}")
                            };
                            (dotted, format!("{dir}/{m}.py"))
                        })
                        .collect()
                } else {
                    vec![(pkg.clone(), format!("{dir}.py"))]
                };
            for (dotted, file) in modules {
                let Some(text) = ctx.read(&file)? else {
                    continue;
                };
                if let Some(r) = version_in(
                    ctx,
                    roots,
                    PyFile {
                        module: Some(&dotted),
                        file: &file,
                        text: &text,
                    },
                )? {
                    return ctx
                        .found(&r.version, SourceKind::Module, &r.file, r.key)
                        .map(Some);
                }
            }
        }
    }
    let listed = candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    ctx.tried(format!(
        "`__version__`/`VERSION` in package modules ({})",
        if listed.is_empty() {
            "no package found".to_string()
        } else {
            listed
        }
    ));
    Ok(None)
}

/// Cargo.toml `[package].version`, following `version.workspace = true` up to the workspace root.
pub(crate) fn cargo(ctx: &mut Ctx<'_>) -> Result<Option<Found>, VersionError> {
    let Some(manifest) = load(ctx, "Cargo.toml")? else {
        ctx.tried("`Cargo.toml` (absent)".to_string());
        return Ok(None);
    };
    let from_workspace = match get(&manifest, &["package", "version"]) {
        Some(toml::Value::String(v)) => {
            return ctx
                .found(v, SourceKind::Cargo, "Cargo.toml", "[package].version")
                .map(Some);
        }
        Some(v) => v.get("workspace").and_then(|w| w.as_bool()) == Some(true),
        None => !manifest.contains_key("package"),
    };
    if !from_workspace {
        ctx.tried("`Cargo.toml` `[package].version` (absent)".to_string());
        return Ok(None);
    }
    // The workspace root: this manifest, or the nearest parent manifest with `[workspace]`.
    let depth = ctx.dir.split('/').filter(|p| *p != ".").count();
    let mut path = "Cargo.toml".to_string();
    for _ in 0..=depth {
        if let Some(t) = load(ctx, &path)? {
            if let Some(v) = get_str(&t, &["workspace", "package", "version"]) {
                return ctx
                    .found(v, SourceKind::Cargo, &path, "[workspace.package].version")
                    .map(Some);
            }
            if t.contains_key("workspace") {
                break;
            }
        }
        path = format!("../{path}");
    }
    ctx.tried("`Cargo.toml`: the version comes from the workspace, which has no `[workspace.package].version`".to_string());
    Ok(None)
}

/// The version every dist in the dist dir agrees on, read from their metadata.
pub(crate) fn dist(ctx: &Ctx<'_>) -> Result<Found, VersionError> {
    let Some(dir) = ctx.req.dist_dir.as_deref() else {
        return Err(VersionError::InvalidRequest {
            reason: "`version-source: dist` needs a directory of built dists".to_string(),
            hint: "set `dist-dir` (e.g. `dist`)".to_string(),
        });
    };
    let shown = dir.display().to_string();
    if !dir.is_dir() {
        return Err(VersionError::NoDists { dir: shown });
    }
    let found = slipway_dist::find_dists(dir)?;
    let mut versions: Vec<(String, String)> = Vec::new();
    for dist in &found.dists {
        let (_, metadata) = slipway_dist::read_metadata(&dist.path)?;
        versions.push((dist.filename.clone(), metadata.version().to_string()));
    }
    let Some((first_file, first)) = versions.first().cloned() else {
        return Err(VersionError::NoDists { dir: shown });
    };
    let key = |v: &str| {
        crate::ParsedVersion::parse(v, crate::Scheme::Pep440)
            .map(|p| p.normalized())
            .unwrap_or_else(|_| v.to_string())
    };
    if versions.iter().any(|(_, v)| key(v) != key(&first)) {
        return Err(VersionError::DistsDisagree {
            dir: shown,
            versions,
        });
    }
    Ok(Found {
        version: first,
        kind: SourceKind::Dist,
        file: dir.join(first_file).display().to_string(),
        key: "Version".to_string(),
        files_read: Vec::new(),
    })
}

/// `version-file` + `version-pattern` (a regex with exactly one capture group).
pub(crate) fn pattern(ctx: &Ctx<'_>) -> Result<Found, VersionError> {
    let missing = |what: &str| VersionError::InvalidRequest {
        reason: format!("`version-source: pattern` needs `{what}`"),
        hint:
            "set `version-file` to the file and `version-pattern` to a regex with one capture group"
                .to_string(),
    };
    let file = ctx
        .req
        .version_file
        .as_deref()
        .ok_or_else(|| missing("version-file"))?;
    let pattern = ctx
        .req
        .version_pattern
        .as_deref()
        .ok_or_else(|| missing("version-pattern"))?;
    let re = Regex::new(pattern).map_err(|e| VersionError::InvalidPattern {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })?;
    let groups = re.captures_len() - 1;
    if groups != 1 {
        return Err(VersionError::InvalidPattern {
            pattern: pattern.to_string(),
            reason: format!("it has {groups} capture groups, exactly one is needed"),
        });
    }
    let text = ctx.read(file)?.ok_or_else(|| VersionError::MissingFile {
        file: ctx.rel(file),
        what: "`version-file`".to_string(),
    })?;
    let version =
        re.captures(&text)
            .and_then(|c| c.get(1))
            .ok_or_else(|| VersionError::PatternNoMatch {
                file: ctx.rel(file),
                pattern: pattern.to_string(),
            })?;
    ctx.found(version.as_str(), SourceKind::File, file, pattern)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections_and_continuations() {
        let ini = Ini::parse(
            "[metadata]\nname = my-pkg\nversion = attr: my_pkg.__version__\n[options]\npackage_dir =\n    =src\n# c\n[versioneer]\n",
        );
        assert_eq!(
            ini.get("metadata", "version"),
            Some("attr: my_pkg.__version__")
        );
        assert_eq!(ini.get("options", "package_dir"), Some("=src"));
        assert!(ini.has_section("versioneer"));
    }

    #[test]
    fn setup_call_kwargs() {
        let src = "from setuptools import setup\nsetup(\n    name='x',\n    version=\"1.0\",  # c\n    install_requires=['a>=1,<2'],\n)\n";
        let kw = setup_kwargs(src);
        assert_eq!(kw[0], ("name".to_string(), "'x'".to_string()));
        assert_eq!(kw[1], ("version".to_string(), "\"1.0\"".to_string()));
        assert_eq!(kw.len(), 3);
        assert_eq!(setup_py_name(src).as_deref(), Some("x"));
    }
}
