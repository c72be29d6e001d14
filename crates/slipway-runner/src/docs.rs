//! Generated documentation: each action's `action.yml` and its README tables come from the
//! tool's declarations, so the binary, the metadata and the docs cannot disagree.

use crate::Tool;
use crate::inputs::InputKind;

/// The first line of every generated action.yml.
pub const GENERATED_NOTICE: &str = "# Generated from the tool's declarations (crates/slipway-runner/src/docs.rs); do not edit.\n# Regenerate with: SLIPWAY_BLESS=1 cargo test -p slipway-checks\n";

/// A YAML scalar: JSON strings are valid YAML and need no further thought about quoting.
fn scalar(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// How the action runs: a prebuilt image and the binary inside it.
#[derive(Debug, Clone)]
pub struct Runs {
    /// `docker://…` image reference.
    pub image: String,
    /// Absolute path of the binary in the image.
    pub entrypoint: String,
}

impl Tool {
    /// The action.yml text for this tool.
    pub fn action_yml(&self, runs: &Runs, branding_icon: &str) -> String {
        let mut y = String::from(GENERATED_NOTICE);
        y.push_str(&format!("name: {}\n", scalar(self.title)));
        y.push_str(&format!("description: {}\n", scalar(self.description)));
        y.push_str("author: slipway\n");
        y.push_str(&format!(
            "branding:\n  icon: {}\n  color: blue\n",
            scalar(branding_icon)
        ));
        if !self.inputs.is_empty() {
            y.push_str("inputs:\n");
            for i in self.inputs {
                y.push_str(&format!(
                    "  {}:\n    description: {}\n    required: {}\n",
                    i.name,
                    scalar(i.description),
                    i.required
                ));
                if let Some(d) = i.default {
                    y.push_str(&format!("    default: {}\n", scalar(d)));
                }
            }
        }
        if !self.outputs.is_empty() {
            y.push_str("outputs:\n");
            for o in self.outputs {
                y.push_str(&format!(
                    "  {}:\n    description: {}\n",
                    o.name,
                    scalar(o.description)
                ));
            }
        }
        y.push_str(&format!(
            "runs:\n  using: docker\n  image: {}\n  entrypoint: {}\n",
            scalar(&runs.image),
            scalar(&runs.entrypoint)
        ));
        y
    }

    /// The README section for this tool: inputs and outputs tables.
    pub fn markdown(&self) -> String {
        let esc = |s: &str| s.replace('|', "\\|");
        let mut m = format!(
            "**Inputs** of `{}`\n\n| input | default | description |\n|---|---|---|\n",
            self.name
        );
        for i in self.inputs {
            let default = match i.default {
                Some(d) => format!("`{}`", esc(d)),
                None if i.required => "*required*".to_string(),
                None => String::new(),
            };
            let kind = match i.kind {
                InputKind::Bool => " (boolean)",
                InputKind::List => " (list: newline or comma separated)",
                InputKind::Secret => " (secret)",
                InputKind::String => "",
            };
            m.push_str(&format!(
                "| `{}` | {} | {}{} |\n",
                i.name,
                default,
                esc(i.description),
                kind
            ));
        }
        m.push_str(&format!(
            "\n**Outputs** of `{}`\n\n| output | description |\n|---|---|\n",
            self.name
        ));
        for o in self.outputs {
            m.push_str(&format!("| `{}` | {} |\n", o.name, esc(o.description)));
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use crate::{InputSpec, OutputSpec, Tool};

    use super::*;

    static T: Tool = Tool {
        name: "demo",
        title: "slipway demo",
        description: "Does: things, \"quoted\".",
        inputs: &[
            InputSpec::bool("dry-run", false, "Say what would be done."),
            InputSpec::string("version", "The version.").required(),
        ],
        outputs: &[OutputSpec::new("tag", "The tag | name.")],
    };

    #[test]
    fn action_yml_is_quoted_yaml() {
        let y = T.action_yml(
            &Runs {
                image: "docker://ghcr.io/o/slipway:1".into(),
                entrypoint: "/demo".into(),
            },
            "tag",
        );
        assert!(
            y.contains("description: \"Does: things, \\\"quoted\\\".\"\n"),
            "{y}"
        );
        assert!(y.contains("  dry-run:\n    description: \"Say what would be done.\"\n    required: false\n    default: \"false\"\n"), "{y}");
        assert!(
            y.contains(
                "  version:\n    description: \"The version.\"\n    required: true\noutputs:"
            ),
            "{y}"
        );
        assert!(y.ends_with("entrypoint: \"/demo\"\n"));
    }

    #[test]
    fn markdown_tables() {
        let m = T.markdown();
        assert!(
            m.contains("| `dry-run` | `false` | Say what would be done. (boolean) |"),
            "{m}"
        );
        assert!(
            m.contains("| `version` | *required* | The version. |"),
            "{m}"
        );
        assert!(m.contains("| `tag` | The tag \\| name. |"), "{m}");
    }
}
