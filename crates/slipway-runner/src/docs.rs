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

/// How the action runs: a prebuilt image, the binary inside it, its arguments and environment.
#[derive(Debug, Clone)]
pub struct Runs {
    /// `docker://…` image reference.
    pub image: String,
    /// Absolute path of the binary in the image.
    pub entrypoint: String,
    /// Arguments (the multi-call binary's tool name).
    pub args: Vec<String>,
    /// Environment variables set for the container.
    pub env: Vec<(String, String)>,
}

impl Runs {
    fn yaml(&self) -> String {
        let mut y = format!(
            "runs:\n  using: docker\n  image: {}\n  entrypoint: {}\n",
            scalar(&self.image),
            scalar(&self.entrypoint)
        );
        if !self.args.is_empty() {
            y.push_str("  args:\n");
            for a in &self.args {
                y.push_str(&format!("    - {}\n", scalar(a)));
            }
        }
        if !self.env.is_empty() {
            y.push_str("  env:\n");
            for (k, v) in &self.env {
                y.push_str(&format!("    {k}: {}\n", scalar(v)));
            }
        }
        y
    }
}

/// The umbrella action (`uses: OWNER/slipway@v1` with a `tool` input): the union of every tool's
/// inputs and outputs. Inputs carry no literal defaults there (they differ between tools); the
/// binary, told by `SLIPWAY_UMBRELLA=1`, treats an empty input as "use the tool's default".
pub fn umbrella_action_yml(tools: &[&Tool], runs: &Runs) -> String {
    let names: Vec<&str> = tools.iter().map(|t| t.name).collect();
    let mut y = String::from(GENERATED_NOTICE);
    y.push_str("name: \"slipway\"\n");
    y.push_str(&format!("description: {}\n", scalar(&format!("Release Python packages from a commit to PyPI with verified bytes: set `tool` to one of {}. The per-tool actions under actions/ document each tool.", names.join(", ")))));
    y.push_str("author: slipway\nbranding:\n  icon: \"anchor\"\n  color: blue\n");
    y.push_str(&format!(
        "inputs:\n  tool:\n    description: {}\n    required: true\n",
        scalar(&format!("Which tool to run: {}.", names.join(", ")))
    ));
    let mut seen: Vec<&str> = vec!["tool"];
    for t in tools {
        for i in t.inputs {
            if seen.contains(&i.name) {
                continue;
            }
            seen.push(i.name);
            let users: Vec<&str> = tools
                .iter()
                .filter(|t| t.inputs.iter().any(|x| x.name == i.name))
                .map(|t| t.name)
                .collect();
            // Each tool's own default for this input; when they differ, each is named.
            let mut defaults: Vec<(Option<&str>, Vec<&str>)> = Vec::new();
            for t in tools {
                let Some(x) = t.inputs.iter().find(|x| x.name == i.name) else {
                    continue;
                };
                match defaults.iter_mut().find(|(d, _)| *d == x.default) {
                    Some((_, users)) => users.push(t.name),
                    None => defaults.push((x.default, vec![t.name])),
                }
            }
            let default = match (i.default, defaults.len()) {
                (Some(d), 1) if d.contains("${{") => format!("    default: {}\n", scalar(d)),
                (Some(d), 1) => format!(" Default: `{d}`."),
                (_, 1) => String::new(),
                _ => {
                    let each: Vec<String> = defaults
                        .iter()
                        .map(|(d, users)| match d {
                            Some(d) => format!("`{d}` ({})", users.join(", ")),
                            None => format!("none ({})", users.join(", ")),
                        })
                        .collect();
                    format!(" Default: {}.", each.join("; "))
                }
            };
            let (doc_default, yaml_default) = if default.starts_with("    default") {
                (String::new(), default)
            } else {
                (default, String::new())
            };
            let desc = format!("[{}] {}{}", users.join(", "), i.description, doc_default);
            y.push_str(&format!(
                "  {}:\n    description: {}\n    required: false\n{yaml_default}",
                i.name,
                scalar(&desc)
            ));
        }
    }
    y.push_str("outputs:\n");
    let mut seen: Vec<&str> = Vec::new();
    for t in tools {
        for o in t.outputs {
            if seen.contains(&o.name) {
                continue;
            }
            seen.push(o.name);
            y.push_str(&format!(
                "  {}:\n    description: {}\n",
                o.name,
                scalar(&format!("[{}] {}", t.name, o.description))
            ));
        }
    }
    y.push_str(&runs.yaml());
    y
}

impl Tool {
    /// The action.yml text for this tool.
    pub fn action_yml(&self, runs: &Runs) -> String {
        let mut y = String::from(GENERATED_NOTICE);
        y.push_str(&format!("name: {}\n", scalar(self.title)));
        y.push_str(&format!("description: {}\n", scalar(self.description)));
        y.push_str("author: slipway\n");
        y.push_str(&format!(
            "branding:\n  icon: {}\n  color: blue\n",
            scalar(self.icon)
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
                if let Some(alias) = i.alias {
                    y.push_str(&format!(
                        "  {alias}:\n    description: {}\n    required: false\n    deprecationMessage: {}\n",
                        scalar(&format!("[deprecated] The old spelling of `{}`.", i.name)),
                        scalar(&format!("Use `{}` instead.", i.name))
                    ));
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
        y.push_str(&runs.yaml());
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
            let alias = i
                .alias
                .map(|a| format!(" Also accepted as `{a}` (deprecated)."))
                .unwrap_or_default();
            m.push_str(&format!(
                "| `{}` | {} | {}{}{alias} |\n",
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
        icon: "tag",
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
        let y = T.action_yml(&Runs {
            image: "docker://ghcr.io/o/slipway:1".into(),
            entrypoint: "/slipway".into(),
            args: vec!["demo".into()],
            env: vec![("SLIPWAY_UMBRELLA".into(), "1".into())],
        });
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
        assert!(
            y.ends_with("entrypoint: \"/slipway\"\n  args:\n    - \"demo\"\n  env:\n    SLIPWAY_UMBRELLA: \"1\"\n"),
            "{y}"
        );
    }

    #[test]
    fn umbrella_declares_the_union_without_literal_defaults() {
        static U: Tool = Tool {
            name: "other",
            icon: "tag",
            title: "o",
            description: "o",
            inputs: &[
                InputSpec::string("version", "Other version."),
                InputSpec::secret("token", "t").default("${{ github.token }}"),
                InputSpec::bool("dry-run", true, "Other dry run."),
            ],
            outputs: &[OutputSpec::new("tag", "x"), OutputSpec::new("extra", "y")],
        };
        let runs = Runs {
            image: "i".into(),
            entrypoint: "/slipway".into(),
            args: vec!["${{ inputs.tool }}".into()],
            env: vec![],
        };
        let y = umbrella_action_yml(&[&T, &U], &runs);
        // Tools with other defaults for the same input: each default is named.
        assert!(y.contains("  dry-run:\n    description: \"[demo, other] Say what would be done. Default: `false` (demo); `true` (other).\"\n    required: false\n  "), "{y}");
        assert!(
            y.contains("  version:\n    description: \"[demo, other] The version.\"\n"),
            "{y}"
        );
        assert!(y.contains("  token:\n    description: \"[other] t\"\n    required: false\n    default: \"${{ github.token }}\"\n"), "{y}");
        assert_eq!(y.matches("  tag:\n").count(), 1);
        assert!(y.contains("  extra:\n"));
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
