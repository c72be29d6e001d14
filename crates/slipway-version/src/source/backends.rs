//! pyproject.toml sources (PEP 621, poetry, hatch, pdm, setuptools, flit), the `auto` order,
//! and recognising versions that come from git tags.

use regex_lite::Regex;
use toml::Table;

use super::module::{resolve_attr, roots};
use super::setuptools::{self, Ini};
use super::toml_util::{get, get_str, load};
use super::{Ctx, Found, SourceKind};
use super::{cargo, dists, package};
use crate::VersionError;

const PYPROJECT: &str = "pyproject.toml";

/// The project's build configuration files, each `None` when absent.
pub(crate) struct Project {
    pub pyproject: Option<Table>,
    pub setup_cfg: Option<Ini>,
    pub setup_py: Option<String>,
}

impl Project {
    fn load(ctx: &Ctx<'_>) -> Result<Project, VersionError> {
        Ok(Project {
            pyproject: load(ctx, PYPROJECT)?,
            setup_cfg: ctx.read("setup.cfg")?.map(|t| Ini::parse(&t)),
            setup_py: ctx.read("setup.py")?,
        })
    }

    fn py_str(&self, path: &[&str]) -> Option<&str> {
        get_str(self.pyproject.as_ref()?, path)
    }

    fn py_has(&self, path: &[&str]) -> bool {
        self.pyproject
            .as_ref()
            .is_some_and(|t| get(t, path).is_some())
    }

    /// `[project].dynamic` lists `version`, or there is no `[project]` table (setup.py-era projects).
    fn version_is_dynamic(&self) -> bool {
        let Some(project) = self.pyproject.as_ref().and_then(|t| t.get("project")) else {
            return true;
        };
        project
            .get("dynamic")
            .and_then(|d| d.as_array())
            .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("version")))
    }

    fn build_backend(&self) -> Option<&str> {
        self.py_str(&["build-system", "build-backend"])
    }

    fn requires(&self, package: &[&str]) -> bool {
        let Some(reqs) = self
            .pyproject
            .as_ref()
            .and_then(|t| get(t, &["build-system", "requires"]))
            .and_then(|r| r.as_array())
        else {
            return false;
        };
        reqs.iter().filter_map(|r| r.as_str()).any(|r| {
            let name: String = r
                .chars()
                .take_while(|c| c.is_alphanumeric() || "-_.".contains(*c))
                .collect();
            package.iter().any(|p| crate_name_eq(&name, p))
        })
    }

    /// The setuptools package dir for the root package (`"" = "src"`), if configured.
    fn package_dir(&self) -> Option<String> {
        if let Some(dir) = self.py_str(&["tool", "setuptools", "package-dir", ""]) {
            return Some(dir.to_string());
        }
        let value = self.setup_cfg.as_ref()?.get("options", "package_dir")?;
        value.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            k.trim().is_empty().then(|| v.trim().to_string())
        })
    }
}

fn crate_name_eq(a: &str, b: &str) -> bool {
    slipway_dist::normalize_name(a) == slipway_dist::normalize_name(b)
}

/// The git-tag versioning tool this project uses, if any.
fn git_tool(p: &Project) -> Option<String> {
    if p.pyproject.as_ref().is_some_and(|t| {
        get(t, &["tool", "poetry-dynamic-versioning", "enable"]).and_then(toml::Value::as_bool)
            == Some(true)
    }) {
        return Some("poetry-dynamic-versioning".to_string());
    }
    if p.version_is_dynamic() {
        if p.py_has(&["tool", "setuptools_scm"]) || p.py_has(&["tool", "setuptools-scm"]) {
            return Some("setuptools_scm".to_string());
        }
        let configured = p.py_has(&["tool", "setuptools", "dynamic", "version"])
            || p.setup_cfg
                .as_ref()
                .and_then(|c| c.get("metadata", "version"))
                .is_some();
        if p.requires(&["setuptools-scm"]) && !configured {
            return Some("setuptools_scm".to_string());
        }
        match p.py_str(&["tool", "hatch", "version", "source"]) {
            Some("vcs") => return Some("hatch-vcs".to_string()),
            Some(tool @ ("uv-dynamic-versioning" | "versioningit")) => {
                return Some(tool.to_string());
            }
            _ => {}
        }
        if p.py_str(&["tool", "pdm", "version", "source"]) == Some("scm") {
            return Some("pdm-backend (`source = \"scm\"`)".to_string());
        }
        if p.py_has(&["tool", "versioningit"]) {
            return Some("versioningit".to_string());
        }
    }
    if p.py_has(&["tool", "versioneer"])
        || p.setup_cfg
            .as_ref()
            .is_some_and(|c| c.has_section("versioneer"))
    {
        return Some("versioneer".to_string());
    }
    let setup_py = p.setup_py.as_deref().unwrap_or_default();
    if setup_py.contains("use_scm_version") {
        return Some("setuptools_scm".to_string());
    }
    if setup_py.contains("versioneer.get_version") {
        return Some("versioneer".to_string());
    }
    None
}

fn check_git(p: &Project) -> Result<(), VersionError> {
    match git_tool(p) {
        Some(tool) => Err(VersionError::FromGitTags { tool }),
        None => Ok(()),
    }
}

/// `auto`: every source in order; the first that holds a version wins.
pub(crate) fn auto(ctx: &mut Ctx<'_>) -> Result<Option<Found>, VersionError> {
    let p = Project::load(ctx)?;
    if let Some(found) = pep621(ctx, &p)? {
        return Ok(Some(found));
    }
    check_git(&p)?;
    // A dynamic version is resolved through the backend that builds it first.
    let mut first = None;
    if p.pyproject.is_some() && p.version_is_dynamic() {
        first = match p.build_backend() {
            Some(b) if b.starts_with("setuptools") => Some(SourceKind::Setuptools),
            Some("flit_core.buildapi") => Some(SourceKind::Flit),
            Some("hatchling.build") => Some(SourceKind::Hatch),
            Some("pdm.backend" | "pdm.pep517.api") => Some(SourceKind::Pdm),
            Some("maturin") => Some(SourceKind::Cargo),
            Some(b) if b.starts_with("poetry") => Some(SourceKind::Poetry),
            None => Some(SourceKind::Setuptools),
            Some(other) => {
                ctx.tried(format!(
                    "`{PYPROJECT}`: a dynamic version built by `{other}` (not understood)"
                ));
                None
            }
        };
        if let Some(kind) = first
            && let Some(found) = one(ctx, &p, kind)?
        {
            return Ok(Some(found));
        }
    }
    let mut unreadable = None;
    for kind in [
        SourceKind::Poetry,
        SourceKind::Hatch,
        SourceKind::Pdm,
        SourceKind::Setuptools,
        SourceKind::SetupPy,
        SourceKind::Module,
        SourceKind::Cargo,
    ]
    .into_iter()
    .filter(|k| Some(*k) != first)
    {
        match one(ctx, &p, kind) {
            Ok(Some(found)) => return Ok(Some(found)),
            Ok(None) => {}
            // setup.py and package modules often compute the version; a later source may still have it.
            Err(e @ VersionError::Unreadable { .. }) => {
                ctx.tried(e.to_string().lines().next().unwrap_or_default().to_string());
                unreadable.get_or_insert(e);
            }
            Err(e) => return Err(e),
        }
    }
    if ctx.req.dist_dir.is_some() {
        match dists::dist(ctx) {
            Ok(found) => return Ok(Some(found)),
            Err(e @ VersionError::NoDists { .. }) => {
                ctx.tried(e.to_string().lines().next().unwrap_or_default().to_string());
            }
            Err(e) => return Err(e),
        }
    }
    match unreadable {
        Some(e) => Err(e),
        None => Ok(None),
    }
}

/// One explicitly chosen source.
pub(crate) fn explicit(ctx: &mut Ctx<'_>, kind: SourceKind) -> Result<Option<Found>, VersionError> {
    let p = Project::load(ctx)?;
    if !matches!(
        kind,
        SourceKind::Pep621 | SourceKind::Module | SourceKind::Cargo
    ) {
        check_git(&p)?;
    }
    one(ctx, &p, kind)
}

fn one(ctx: &mut Ctx<'_>, p: &Project, kind: SourceKind) -> Result<Option<Found>, VersionError> {
    let roots = roots(p.package_dir().as_deref());
    match kind {
        SourceKind::Pep621 => pep621(ctx, p),
        SourceKind::Poetry => poetry(ctx, p),
        SourceKind::Hatch => hatch(ctx, p),
        SourceKind::Pdm => pdm(ctx, p),
        SourceKind::Setuptools => setuptools(ctx, p, &roots),
        SourceKind::Flit => flit(ctx, p, &roots),
        SourceKind::SetupPy => setuptools::setup_py(ctx, p.setup_py.as_deref(), &roots),
        SourceKind::Module => package::package(ctx, &package_names(p), &roots),
        SourceKind::Cargo => cargo::cargo(ctx),
        SourceKind::Auto | SourceKind::Dist | SourceKind::File => Ok(None),
    }
}

/// Names the package may have, from every place a project names itself.
fn package_names(p: &Project) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let declared = [
        p.py_str(&["tool", "flit", "module", "name"]),
        p.py_str(&["project", "name"]),
        p.py_str(&["tool", "poetry", "name"]),
        p.setup_cfg.as_ref().and_then(|c| c.get("metadata", "name")),
    ];
    for name in declared.into_iter().flatten() {
        names.push(name.replace(['-', '.'], "_"));
    }
    if let Some(name) = p.setup_py.as_deref().and_then(setuptools::setup_py_name) {
        names.push(name.replace(['-', '.'], "_"));
    }
    names
}

fn pep621(ctx: &mut Ctx<'_>, p: &Project) -> Result<Option<Found>, VersionError> {
    let Some(py) = &p.pyproject else {
        ctx.tried(format!("`{PYPROJECT}` (absent)"));
        return Ok(None);
    };
    match get(py, &["project", "version"]) {
        Some(toml::Value::String(v)) => ctx
            .found(v, SourceKind::Pep621, PYPROJECT, "[project].version")
            .map(Some),
        Some(other) => Err(VersionError::Unreadable {
            file: ctx.rel(PYPROJECT),
            reason: format!("`[project].version` is not a string: `{other}`"),
            hint: "write it as a string: `version = \"1.2.3\"`".to_string(),
        }),
        None => {
            let why = if p.version_is_dynamic() && py.contains_key("project") {
                "dynamic"
            } else {
                "absent"
            };
            ctx.tried(format!("`{PYPROJECT}` `[project].version` ({why})"));
            Ok(None)
        }
    }
}

fn poetry(ctx: &mut Ctx<'_>, p: &Project) -> Result<Option<Found>, VersionError> {
    match p.py_str(&["tool", "poetry", "version"]) {
        Some(v) => ctx
            .found(v, SourceKind::Poetry, PYPROJECT, "[tool.poetry].version")
            .map(Some),
        None => {
            ctx.tried(format!("`{PYPROJECT}` `[tool.poetry].version` (absent)"));
            Ok(None)
        }
    }
}

/// Applies a version regex: the `version` group if named, else group 1. Returns (version, matched var).
fn extract(re: &Regex, text: &str) -> Option<(String, Option<String>)> {
    let caps = re.captures(text)?;
    let version = caps
        .name("version")
        .or_else(|| caps.get(1))?
        .as_str()
        .to_string();
    let var = caps.name("var").map(|m| m.as_str().to_string());
    Some((version, var))
}

fn read_configured(ctx: &Ctx<'_>, path: &str, what: &str) -> Result<String, VersionError> {
    ctx.read(path)?.ok_or_else(|| VersionError::MissingFile {
        file: ctx.rel(path),
        what: format!("`{what}` in `{PYPROJECT}`"),
    })
}

fn hatch(ctx: &mut Ctx<'_>, p: &Project) -> Result<Option<Found>, VersionError> {
    if !p.py_has(&["tool", "hatch", "version"]) {
        ctx.tried(format!("`{PYPROJECT}` `[tool.hatch.version]` (absent)"));
        return Ok(None);
    }
    let source = p
        .py_str(&["tool", "hatch", "version", "source"])
        .unwrap_or("regex");
    match source {
        "regex" => {}
        "vcs" => {
            return Err(VersionError::FromGitTags {
                tool: "hatch-vcs".to_string(),
            });
        }
        other => {
            return Err(VersionError::Unreadable {
                file: ctx.rel(PYPROJECT),
                reason: format!(
                    "`[tool.hatch.version].source` is `{other}`, which is computed at build time"
                ),
                hint: "use `version-source: dist` after the build step".to_string(),
            });
        }
    }
    let Some(path) = p.py_str(&["tool", "hatch", "version", "path"]) else {
        return Err(VersionError::Unreadable {
            file: ctx.rel(PYPROJECT),
            reason: "`[tool.hatch.version]` has no `path`".to_string(),
            hint: "set `path` to the file holding `__version__`".to_string(),
        });
    };
    let text = read_configured(ctx, path, "[tool.hatch.version].path")?;
    let custom = p.py_str(&["tool", "hatch", "version", "pattern"]);
    let pattern = custom.unwrap_or(
        r#"(?im)^(?P<var>__version__|VERSION)[ \t]*(?::[^=\n]*)?=[ \t]*['"]v?(?P<version>[^'"\n]+)['"]"#,
    );
    let re = Regex::new(pattern).map_err(|e| VersionError::InvalidPattern {
        pattern: pattern.to_string(),
        reason: e.to_string(),
    })?;
    match extract(&re, &text) {
        Some((version, var)) => {
            let key = match (custom, var) {
                (Some(_), _) | (None, None) => "[tool.hatch.version].pattern".to_string(),
                (None, Some(var)) => var,
            };
            ctx.found(&version, SourceKind::Hatch, path, key).map(Some)
        }
        None => Err(VersionError::PatternNoMatch {
            file: ctx.rel(path),
            pattern: pattern.to_string(),
        }),
    }
}

fn pdm(ctx: &mut Ctx<'_>, p: &Project) -> Result<Option<Found>, VersionError> {
    let Some(source) = p.py_str(&["tool", "pdm", "version", "source"]) else {
        ctx.tried(format!("`{PYPROJECT}` `[tool.pdm.version]` (absent)"));
        return Ok(None);
    };
    match source {
        "file" => {}
        "scm" => {
            return Err(VersionError::FromGitTags {
                tool: "pdm-backend (`source = \"scm\"`)".to_string(),
            });
        }
        other => {
            return Err(VersionError::Unreadable {
                file: ctx.rel(PYPROJECT),
                reason: format!(
                    "`[tool.pdm.version].source` is `{other}`, which is computed at build time"
                ),
                hint: "use `version-source: dist` after the build step".to_string(),
            });
        }
    }
    let Some(path) = p.py_str(&["tool", "pdm", "version", "path"]) else {
        return Err(VersionError::Unreadable {
            file: ctx.rel(PYPROJECT),
            reason: "`[tool.pdm.version]` has `source = \"file\"` but no `path`".to_string(),
            hint: "set `path` to the file holding `__version__`".to_string(),
        });
    };
    let text = read_configured(ctx, path, "[tool.pdm.version].path")?;
    let re = Regex::new(r#"(?m)^__version__[ \t]*(?::[^=\n]*)?=[ \t]*['"]([^'"\n]+)['"]"#)
        .expect("valid regex");
    match extract(&re, &text) {
        Some((version, _)) => ctx
            .found(&version, SourceKind::Pdm, path, "__version__")
            .map(Some),
        None => Err(VersionError::Unreadable {
            file: ctx.rel(path),
            reason: "no `__version__ = \"…\"` line".to_string(),
            hint: "pdm reads `__version__ = \"1.2.3\"` from that file".to_string(),
        }),
    }
}

/// `attr: pkg.mod.VAR` or `file: PATH` (from pyproject or setup.cfg) → the version.
fn setuptools_directive(
    ctx: &mut Ctx<'_>,
    roots: &[String],
    attr: Option<&str>,
    file: Option<&str>,
    origin: &str,
) -> Result<Option<Found>, VersionError> {
    if let Some(attr) = attr {
        let attr = attr.trim();
        let (module, var) = attr.rsplit_once('.').unwrap_or(("", attr));
        if module.is_empty() {
            return Err(VersionError::Unreadable {
                file: ctx.rel(origin),
                reason: format!("`attr: {attr}` names no module"),
                hint: "write `attr: package.__version__`".to_string(),
            });
        }
        return match resolve_attr(ctx, roots, module, var)? {
            Some(r) => ctx
                .found(&r.version, SourceKind::Setuptools, &r.file, r.key)
                .map(Some),
            None => match super::module::find_module(ctx, roots, module)? {
                None => Err(VersionError::MissingFile {
                    file: ctx.rel(&format!("{}/{}.py", roots[0], module.replace('.', "/"))),
                    what: format!(
                        "module `{module}` named by `attr: {attr}` in `{origin}`, looked under {}",
                        roots
                            .iter()
                            .map(|r| format!("`{r}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
                Some(f) => Err(VersionError::Unreadable {
                    file: ctx.rel(&f),
                    reason: format!(
                        "`{var}` is not assigned (named by `attr: {attr}` in `{origin}`)"
                    ),
                    hint: "assign it a string literal".to_string(),
                }),
            },
        };
    }
    if let Some(file) = file {
        let file = file.trim();
        let text = ctx.read(file)?.ok_or_else(|| VersionError::MissingFile {
            file: ctx.rel(file),
            what: format!("`file: {file}` in `{origin}`"),
        })?;
        return ctx
            .found(&text, SourceKind::Setuptools, file, "(whole file)")
            .map(Some);
    }
    Ok(None)
}

fn setuptools(
    ctx: &mut Ctx<'_>,
    p: &Project,
    roots: &[String],
) -> Result<Option<Found>, VersionError> {
    if let Some(dynamic) = p
        .pyproject
        .as_ref()
        .and_then(|t| get(t, &["tool", "setuptools", "dynamic", "version"]))
    {
        let attr = dynamic.get("attr").and_then(|v| v.as_str());
        let file = match dynamic.get("file") {
            Some(toml::Value::String(s)) => Some(s.as_str()),
            Some(toml::Value::Array(a)) => a.first().and_then(|v| v.as_str()),
            _ => None,
        };
        if let Some(found) = setuptools_directive(ctx, roots, attr, file, PYPROJECT)? {
            return Ok(Some(found));
        }
    }
    let Some(value) = p
        .setup_cfg
        .as_ref()
        .and_then(|c| c.get("metadata", "version"))
    else {
        ctx.tried(format!("`{PYPROJECT}` `[tool.setuptools.dynamic].version` and `setup.cfg` `[metadata] version` (absent)"));
        return Ok(None);
    };
    let value = value.trim().to_string();
    if let Some(attr) = value.strip_prefix("attr:") {
        setuptools_directive(ctx, roots, Some(attr), None, "setup.cfg")
    } else if let Some(file) = value.strip_prefix("file:") {
        let first = file.split(',').next().unwrap_or_default();
        setuptools_directive(ctx, roots, None, Some(first), "setup.cfg")
    } else {
        ctx.found(
            &value,
            SourceKind::Setuptools,
            "setup.cfg",
            "[metadata].version",
        )
        .map(Some)
    }
}

fn flit(ctx: &mut Ctx<'_>, p: &Project, roots: &[String]) -> Result<Option<Found>, VersionError> {
    let module = p
        .py_str(&["tool", "flit", "module", "name"])
        .map(str::to_string)
        .or_else(|| p.py_str(&["project", "name"]).map(|n| n.replace('-', "_")));
    let Some(module) = module else {
        ctx.tried(format!(
            "`{PYPROJECT}`: no `[project].name` or `[tool.flit.module].name` for flit"
        ));
        return Ok(None);
    };
    match resolve_attr(ctx, roots, &module, "__version__")? {
        Some(r) => ctx
            .found(&r.version, SourceKind::Flit, &r.file, r.key)
            .map(Some),
        None => match super::module::find_module(ctx, roots, &module)? {
            None => Err(VersionError::MissingFile {
                file: ctx.rel(&format!("src/{}/__init__.py", module.replace('.', "/"))),
                what: format!("flit module `{module}`, looked under `src` and the project root"),
            }),
            Some(f) => Err(VersionError::Unreadable {
                file: ctx.rel(&f),
                reason: "flit reads `__version__` from the module and it is not assigned there"
                    .to_string(),
                hint: "add `__version__ = \"1.2.3\"` to the module".to_string(),
            }),
        },
    }
}
