//! Cargo.toml `[package].version` (so a Rust project, this one included, can use version-bump).

use super::toml_util::{get, get_str, load};
use super::{Ctx, Found, SourceKind};
use crate::VersionError;

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
        Some(v) => v.get("workspace").and_then(toml::Value::as_bool) == Some(true),
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
