//! `__version__`/`VERSION` assigned in the package's own modules.

use super::module::{PyFile, Resolved, attr_in_text};
use super::{Ctx, Found, SourceKind};
use crate::VersionError;

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
