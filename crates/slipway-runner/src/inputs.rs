//! Action inputs: declared once per tool, read from `INPUT_*` variables or command-line flags.
//!
//! Precedence: a command-line flag, then the `INPUT_<NAME>` variable (even when empty: in a
//! workflow the runner always sets every declared input), then the declared default.

use std::collections::BTreeMap;

use secrecy::SecretString;

use crate::commands::Commands;
use crate::env::{Env, input_var};
use crate::quote::excerpt;

/// What kind of value an input takes; used for validation, `--help` and the generated docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// Free text.
    String,
    /// `true|True|TRUE|false|False|FALSE`; as a flag, `--name` alone means `true`.
    Bool,
    /// Newline- or comma-separated values; blanks dropped.
    List,
    /// A secret: masked with `::add-mask::` as soon as it is read.
    Secret,
}

/// One declared input of an action.
#[derive(Debug, Clone, Copy)]
pub struct InputSpec {
    /// Name as written under `with:` (kebab-case).
    pub name: &'static str,
    /// One-line description (action.yml and README).
    pub description: &'static str,
    /// Default exactly as written in action.yml; `${{ … }}` expressions are resolved by the runner
    /// (see [`InputSpec::local_default`] for local runs).
    pub default: Option<&'static str>,
    /// Whether action.yml marks it `required` (the runner does not enforce it; we do).
    pub required: bool,
    /// The kind of value.
    pub kind: InputKind,
    /// A deprecated second name accepted for it (`packages_dir` for `packages-dir`, as another
    /// action spells it); action.yml declares it with a `deprecationMessage`.
    pub alias: Option<&'static str>,
}

impl InputSpec {
    /// A free-text input with no default.
    pub const fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            default: None,
            required: false,
            kind: InputKind::String,
            alias: None,
        }
    }
    /// A boolean input with its default.
    pub const fn bool(name: &'static str, default: bool, description: &'static str) -> Self {
        let default = if default { "true" } else { "false" };
        Self {
            name,
            description,
            default: Some(default),
            required: false,
            kind: InputKind::Bool,
            alias: None,
        }
    }
    /// A list input (newline or comma separated).
    pub const fn list(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            default: None,
            required: false,
            kind: InputKind::List,
            alias: None,
        }
    }
    /// A secret input.
    pub const fn secret(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            default: None,
            required: false,
            kind: InputKind::Secret,
            alias: None,
        }
    }
    /// Sets the default (as written in action.yml).
    pub const fn default(mut self, default: &'static str) -> Self {
        self.default = Some(default);
        self
    }
    /// Accepts `alias` as a deprecated second name.
    pub const fn alias(mut self, alias: &'static str) -> Self {
        self.alias = Some(alias);
        self
    }
    /// Marks the input required.
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// The default a local run uses: a literal default as is; `${{ github.token }}` falls back to
    /// `GITHUB_TOKEN`/`GH_TOKEN`; any other `${{ github.x }}` to the `GITHUB_X` variable the runner
    /// sets (`github.repository` → `GITHUB_REPOSITORY`); other expressions have no local value.
    pub fn local_default(&self, env: &Env) -> Option<String> {
        let default = self.default?;
        if !default.contains("${{") {
            return Some(default.to_string());
        }
        let expr = default
            .trim()
            .strip_prefix("${{")?
            .strip_suffix("}}")?
            .trim();
        let key = expr.strip_prefix("github.")?;
        if key == "token" {
            return env
                .get(crate::env::GITHUB_TOKEN)
                .or_else(|| env.get(crate::env::GH_TOKEN))
                .map(str::to_string);
        }
        if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let value = env
            .get(&format!("GITHUB_{}", key.to_ascii_uppercase()))
            .map(str::to_string);
        if value.is_none() && key == "api_url" {
            return Some(crate::context::DEFAULT_API_URL.to_string());
        }
        value
    }
}

/// A problem with an input value, naming the input and the value.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// A required input is missing or empty.
    #[error(
        "input `{name}` is required but was not given\nhint: set `{name}:` under `with:` (or pass `--{name} VALUE` locally)"
    )]
    Missing {
        /// The input.
        name: String,
    },
    /// A boolean input has a value that is not one of the six spellings the runner accepts.
    #[error(
        "input `{name}` must be a boolean, got `{}`\nhint: use one of true, True, TRUE, false, False, FALSE",
        excerpt(value)
    )]
    NotBool {
        /// The input.
        name: String,
        /// What was given.
        value: String,
    },
    /// An input value failed a tool-specific check. Built by [`Inputs::invalid`] and
    /// [`Inputs::parsed`], which make sure the reason ends with a `hint:` line.
    #[error("input `{name}` has an invalid value `{}`: {reason}", excerpt(value))]
    Invalid {
        /// The input.
        name: String,
        /// What was given.
        value: String,
        /// Why it is wrong, ending with a `hint:` line.
        reason: String,
    },
    /// A command-line flag that the tool does not declare.
    #[error(
        "unknown option `{}`\nhint: run with --help to list the inputs",
        excerpt(flag)
    )]
    UnknownFlag {
        /// The flag as typed.
        flag: String,
    },
    /// A command-line flag without its value.
    #[error(
        "option `--{name}` needs a value\nhint: write `--{name} VALUE` or `--{name}=VALUE` (an empty value: `--{name}=`)"
    )]
    FlagNeedsValue {
        /// The input.
        name: String,
    },
    /// A positional argument (the tools take none).
    #[error(
        "unexpected argument `{}`\nhint: inputs are passed as `--name value`; run with --help",
        excerpt(arg)
    )]
    Positional {
        /// The argument.
        arg: String,
    },
}

/// What the command line asked for besides inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// Run the tool.
    Run,
    /// Print usage and exit.
    Help,
    /// Print the version and exit.
    Version,
}

/// The most files a `max-parallel` input lets move at once.
pub const MAX_PARALLEL: usize = 64;

/// `max-parallel`, declared once for every tool that moves several files (how many transfers
/// run at once; default 4). Read it with [`Inputs::max_parallel`].
pub const fn max_parallel_input(description: &'static str) -> InputSpec {
    InputSpec::string("max-parallel", description).default("4")
}

/// Parses a `max-parallel` value: a whole number from 1 to [`MAX_PARALLEL`].
fn parse_max_parallel(s: &str) -> Result<usize, String> {
    let hint = "\nhint: `max-parallel` is how many files move at once: a whole number such as 4 (the default), or 1 for one after another";
    match s.parse::<u64>() {
        Ok(n) if (1..=MAX_PARALLEL as u64).contains(&n) => Ok(n as usize),
        Ok(_) => Err(format!(
            "expected a whole number from 1 to {MAX_PARALLEL}{hint}"
        )),
        Err(_) if s.bytes().all(|b| b.is_ascii_digit()) => Err(format!(
            "expected a whole number from 1 to {MAX_PARALLEL}, and this one is far larger{hint}"
        )),
        Err(_) => Err(format!(
            "expected a whole number from 1 to {MAX_PARALLEL}, written in decimal digits{hint}"
        )),
    }
}

/// The inputs of one run, resolved from flags, environment and defaults.
#[derive(Debug, Clone)]
pub struct Inputs {
    specs: &'static [InputSpec],
    flags: BTreeMap<&'static str, String>,
    env: Env,
}

/// Parses a boolean the way the runner's `core.getBooleanInput` does.
pub fn parse_bool(name: &str, value: &str) -> Result<bool, InputError> {
    match value.trim() {
        "true" | "True" | "TRUE" => Ok(true),
        "false" | "False" | "FALSE" => Ok(false),
        other => Err(InputError::NotBool {
            name: name.to_string(),
            value: other.to_string(),
        }),
    }
}

/// Splits a list value on newlines and commas, trimming each item and dropping blanks.
pub fn split_list(value: &str) -> Vec<String> {
    value
        .split(['\n', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

impl Inputs {
    /// Resolves inputs from command-line arguments (without the program name) and the environment.
    /// Returns what the command line asked for (run, help, version) alongside.
    pub fn parse(
        specs: &'static [InputSpec],
        args: impl IntoIterator<Item = String>,
        env: Env,
    ) -> Result<(Self, Invocation), InputError> {
        let mut flags = BTreeMap::new();
        let mut args = args.into_iter().peekable();
        let mut invocation = Invocation::Run;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "-h" | "--help" => invocation = Invocation::Help,
                // `--version` is the tool's version unless the tool has an input named `version`.
                "-V" => invocation = Invocation::Version,
                "--version" if !specs.iter().any(|s| s.name == "version") => {
                    invocation = Invocation::Version;
                }
                _ => {
                    let Some(flag) = arg.strip_prefix("--") else {
                        return Err(InputError::Positional { arg });
                    };
                    let (name, inline) = match flag.split_once('=') {
                        Some((n, v)) => (n, Some(v.to_string())),
                        None => (flag, None),
                    };
                    let spec = specs
                        .iter()
                        .find(|s| s.name == name)
                        .ok_or_else(|| InputError::UnknownFlag { flag: arg.clone() })?;
                    let value = match inline {
                        Some(v) => v,
                        None if spec.kind == InputKind::Bool => {
                            // `--dry-run` alone is `true`; `--dry-run false` is also accepted.
                            match args.peek() {
                                Some(next) if parse_bool(name, next).is_ok() => {
                                    args.next().unwrap_or_default()
                                }
                                _ => "true".to_string(),
                            }
                        }
                        None => args.next().ok_or_else(|| InputError::FlagNeedsValue {
                            name: name.to_string(),
                        })?,
                    };
                    flags.insert(spec.name, value);
                }
            }
        }
        Ok((Self { specs, flags, env }, invocation))
    }

    /// Builds inputs from the environment only (tests and library callers).
    pub fn from_env(specs: &'static [InputSpec], env: Env) -> Self {
        Self {
            specs,
            flags: BTreeMap::new(),
            env,
        }
    }

    /// The environment these inputs were read with.
    pub fn env(&self) -> &Env {
        &self.env
    }

    fn spec(&self, name: &str) -> &InputSpec {
        self.specs
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| {
                panic!("input `{name}` is read but not declared in the tool's INPUTS")
            })
    }

    /// The raw value: flag, then `INPUT_*` (even empty), then the default. Not trimmed.
    pub fn raw(&self, name: &str) -> Option<String> {
        let spec = self.spec(name);
        if let Some(v) = self.flags.get(spec.name) {
            return Some(v.clone());
        }
        // A deprecated alias counts when the input itself is absent, empty or left at its
        // default (the runner fills in declared defaults, so "left at" is all that can be seen).
        let alias = spec
            .alias
            .and_then(|a| self.env.raw(&input_var(a)))
            .filter(|v| !v.trim().is_empty());
        if let Some(alias) = alias {
            let own = self.env.raw(&input_var(spec.name)).unwrap_or_default();
            if own.trim().is_empty() || Some(own.trim()) == spec.default {
                return Some(alias.to_string());
            }
        }
        if let Some(v) = self.env.raw(&input_var(spec.name)) {
            // In a workflow every declared input is set. An input whose default is a `${{ }}`
            // expression that evaluated to nothing (e.g. no token) falls back like a local run,
            // and so does any empty input under the umbrella action (it declares no defaults).
            let umbrella = self.env.get(crate::env::SLIPWAY_UMBRELLA) == Some("1");
            if !v.is_empty() || (!umbrella && spec.default.is_none_or(|d| !d.contains("${{"))) {
                return Some(v.to_string());
            }
        }
        spec.local_default(&self.env)
    }

    /// The trimmed value, or `None` when it is missing or empty.
    pub fn string(&self, name: &str) -> Option<String> {
        self.raw(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }

    /// The trimmed value, or the declared default when the input is missing or empty (an
    /// empty input takes its default, as every input does), so no default is written twice.
    pub fn or_default(&self, name: &str) -> String {
        self.string(name)
            .or_else(|| self.spec(name).local_default(&self.env))
            .unwrap_or_default()
    }

    /// The trimmed value; an error naming the input when it is missing or empty.
    pub fn required(&self, name: &str) -> Result<String, InputError> {
        self.string(name).ok_or_else(|| InputError::Missing {
            name: name.to_string(),
        })
    }

    /// The boolean value (strict spellings); an empty value takes the declared default, else false.
    pub fn bool(&self, name: &str) -> Result<bool, InputError> {
        match self.string(name) {
            Some(v) => parse_bool(name, &v),
            None => match self.spec(name).default {
                Some(d) if !d.contains("${{") => parse_bool(name, d),
                _ => Ok(false),
            },
        }
    }

    /// The list value: newline or comma separated, blanks dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        self.raw(name).map(|v| split_list(&v)).unwrap_or_default()
    }

    /// A list that must name something: empty is an error whose hint gives `example`
    /// (e.g. `files: dist/*`).
    pub fn required_list(&self, name: &str, example: &str) -> Result<Vec<String>, InputError> {
        let list = self.list(name);
        if list.is_empty() {
            return Err(self.invalid(
                name,
                "",
                format!("no pattern given\nhint: list the files to attach, e.g. `{example}`"),
            ));
        }
        Ok(list)
    }

    /// A secret value, masked with `::add-mask::` before anything else can print it.
    pub fn secret(&self, name: &str, commands: &Commands) -> Option<SecretString> {
        let value = self.string(name)?;
        commands.add_mask(&value);
        Some(SecretString::from(value))
    }

    /// Parses the value with `parse`, turning its error into [`InputError::Invalid`] (as
    /// [`Inputs::invalid`] does). `None` when the input is empty: the caller's default applies.
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<Option<T>, InputError> {
        match self.string(name) {
            None => Ok(None),
            Some(value) => match parse(&value) {
                Ok(parsed) => Ok(Some(parsed)),
                Err(reason) => Err(self.invalid(name, &value, reason)),
            },
        }
    }

    /// The `max-parallel` input ([`max_parallel_input`]): its value, or its default when empty.
    pub fn max_parallel(&self) -> Result<usize, InputError> {
        let value = self.or_default("max-parallel");
        parse_max_parallel(&value).map_err(|reason| self.invalid("max-parallel", &value, reason))
    }

    /// An [`InputError::Invalid`] for this input and value. `reason` says what is wrong and
    /// should end with a `hint:` line; without one, the input's declared description becomes
    /// the hint, so that no rejection is left without one. A long value quoted inside `reason`
    /// is cut to its [`excerpt`] there too.
    pub fn invalid(&self, name: &str, value: &str, reason: impl Into<String>) -> InputError {
        let mut reason: String = reason.into();
        let short = excerpt(value);
        if short != value && !value.is_empty() {
            reason = reason.replace(value, &short);
        }
        if !reason.lines().any(|l| l.trim_start().starts_with("hint: ")) {
            let spec = self.spec(name);
            reason.push_str(&format!("\nhint: `{}`: {}", spec.name, spec.description));
        }
        InputError::Invalid {
            name: name.to_string(),
            value: value.to_string(),
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SPECS: &[InputSpec] = &[
        InputSpec::string("version", "v").required(),
        InputSpec::bool("dry-run", false, "d"),
        InputSpec::list("files", "f").default("dist/*"),
        InputSpec::secret("token", "t").default("${{ github.token }}"),
        InputSpec::string("checksums", "c").default("SHA256SUMS"),
        InputSpec::string("repository", "r").default("${{ github.repository }}"),
        InputSpec::string("api-url", "a").default("${{ github.api_url }}"),
    ];

    #[test]
    fn max_parallel_rejections_say_why_with_a_hint() {
        assert_eq!(parse_max_parallel("8"), Ok(8));
        assert_eq!(parse_max_parallel("64"), Ok(64));
        for bad in [
            "0",
            "65",
            "-1",
            "4.5",
            "0x10",
            "99999999999999999999999",
            "four",
        ] {
            let err = parse_max_parallel(bad).unwrap_err();
            assert!(err.contains("\nhint: `max-parallel`"), "{bad}: {err}");
        }
    }

    fn inputs(args: &[&str], env: &[(&str, &str)]) -> Inputs {
        Inputs::parse(
            SPECS,
            args.iter().map(std::string::ToString::to_string),
            Env::from_pairs(env.iter().copied()),
        )
        .unwrap()
        .0
    }

    #[test]
    fn a_deprecated_alias_counts_when_the_input_is_left_at_its_default() {
        static ALIASED: &[InputSpec] = &[
            InputSpec::string("packages-dir", "p")
                .default("dist")
                .alias("packages_dir"),
            InputSpec::bool("skip-existing", true, "s").alias("skip_existing"),
        ];
        let at =
            |env: &[(&str, &str)]| Inputs::from_env(ALIASED, Env::from_pairs(env.iter().copied()));
        // In a workflow the runner sets the declared default and the alias as given.
        let i = at(&[
            ("INPUT_PACKAGES-DIR", "dist"),
            ("INPUT_PACKAGES_DIR", "wheelhouse"),
            ("INPUT_SKIP-EXISTING", "true"),
            ("INPUT_SKIP_EXISTING", "false"),
        ]);
        assert_eq!(i.string("packages-dir").as_deref(), Some("wheelhouse"));
        assert!(!i.bool("skip-existing").unwrap());
        // The new name given explicitly wins; an empty alias is no value.
        let i = at(&[
            ("INPUT_PACKAGES-DIR", "out"),
            ("INPUT_PACKAGES_DIR", "wheelhouse"),
        ]);
        assert_eq!(i.string("packages-dir").as_deref(), Some("out"));
        let i = at(&[("INPUT_PACKAGES-DIR", "dist"), ("INPUT_PACKAGES_DIR", "")]);
        assert_eq!(i.string("packages-dir").as_deref(), Some("dist"));
        assert_eq!(
            at(&[("INPUT_PACKAGES_DIR", "w")])
                .string("packages-dir")
                .as_deref(),
            Some("w")
        );
    }

    #[test]
    fn env_with_hyphens() {
        let i = inputs(
            &[],
            &[("INPUT_DRY-RUN", "True"), ("INPUT_VERSION", " 1.0 ")],
        );
        assert!(i.bool("dry-run").unwrap());
        assert_eq!(i.required("version").unwrap(), "1.0");
    }

    #[test]
    fn strict_booleans() {
        for ok in ["true", "True", "TRUE", "false", "False", "FALSE"] {
            assert!(parse_bool("x", ok).is_ok(), "{ok}");
        }
        for bad in ["yes", "1", "tRUE", "on"] {
            let err = parse_bool("dry-run", bad).unwrap_err().to_string();
            assert!(err.contains("`dry-run`") && err.contains(bad), "{err}");
        }
    }

    #[test]
    fn flags_override_env_and_bool_flag_alone() {
        let i = inputs(
            &["--version", "2.0", "--dry-run", "--files=a,b\nc,,"],
            &[("INPUT_VERSION", "1.0")],
        );
        assert_eq!(i.string("version").unwrap(), "2.0");
        assert!(i.bool("dry-run").unwrap());
        assert_eq!(i.list("files"), ["a", "b", "c"]);
    }

    #[test]
    fn empty_env_value_is_kept_over_default() {
        let i = inputs(&[], &[("INPUT_CHECKSUMS", "")]);
        assert_eq!(i.string("checksums"), None);
        let i = inputs(&[], &[]);
        assert_eq!(i.string("checksums").unwrap(), "SHA256SUMS");
        assert_eq!(i.list("files"), ["dist/*"]);
    }

    #[test]
    fn under_the_umbrella_an_empty_input_takes_the_default() {
        let i = inputs(&[], &[("INPUT_CHECKSUMS", ""), ("SLIPWAY_UMBRELLA", "1")]);
        assert_eq!(i.string("checksums").unwrap(), "SHA256SUMS");
        let i = inputs(&[], &[("INPUT_CHECKSUMS", "X"), ("SLIPWAY_UMBRELLA", "1")]);
        assert_eq!(i.string("checksums").unwrap(), "X");
    }

    #[test]
    fn token_falls_back_to_github_token_locally() {
        let i = inputs(&[], &[("GITHUB_TOKEN", "ghp_x")]);
        assert_eq!(i.string("token").unwrap(), "ghp_x");
        let i = inputs(&[], &[("INPUT_TOKEN", ""), ("GH_TOKEN", "gho_y")]);
        assert_eq!(i.string("token").unwrap(), "gho_y");
    }

    #[test]
    fn github_expressions_resolve_from_the_runner_variables() {
        let i = inputs(&[], &[("GITHUB_REPOSITORY", "o/r")]);
        assert_eq!(i.string("repository").unwrap(), "o/r");
        assert_eq!(i.string("api-url").unwrap(), "https://api.github.com");
        let i = inputs(
            &[],
            &[("INPUT_REPOSITORY", "x/y"), ("GITHUB_REPOSITORY", "o/r")],
        );
        assert_eq!(i.string("repository").unwrap(), "x/y");
    }

    #[test]
    fn bad_command_lines() {
        let parse = |a: &[&str]| {
            Inputs::parse(
                SPECS,
                a.iter().map(std::string::ToString::to_string),
                Env::default(),
            )
            .unwrap_err()
            .to_string()
        };
        assert!(parse(&["--nope"]).contains("unknown option `--nope`"));
        assert!(parse(&["--version"]).contains("`--version` needs a value"));
        assert!(parse(&["stray"]).contains("unexpected argument `stray`"));
        let missing = inputs(&[], &[])
            .required("version")
            .unwrap_err()
            .to_string();
        assert!(
            missing.starts_with("input `version` is required"),
            "{missing}"
        );
    }

    #[test]
    fn every_rejection_has_a_hint_and_quotes_a_short_value() {
        let i = inputs(&[], &[]);
        let plain = i.invalid("checksums", "x/y", "not a file name").to_string();
        assert_eq!(
            plain,
            "input `checksums` has an invalid value `x/y`: not a file name\nhint: `checksums`: c"
        );
        let own = i
            .invalid("checksums", "x", "bad\nhint: use `SUMS`")
            .to_string();
        assert_eq!(own.matches("hint:").count(), 1, "{own}");
        let huge = "9".repeat(100_000);
        let err = i
            .invalid("checksums", &huge, format!("`{huge}` is too big"))
            .to_string();
        assert!(err.len() < 600, "{} bytes: {err}", err.len());
        assert!(err.contains("(100000 bytes)"), "{err}");
        let forged = i
            .invalid("checksums", "a\nhint: forged", "no good")
            .to_string();
        assert!(!forged.contains("\nhint: forged"), "{forged}");
        let needs = Inputs::parse(SPECS, ["--checksums".to_string()], Env::default())
            .unwrap_err()
            .to_string();
        assert!(
            needs.contains("\nhint: write `--checksums VALUE`"),
            "{needs}"
        );
    }

    #[test]
    fn help_and_version() {
        let (_, inv) = Inputs::parse(SPECS, ["--help".to_string()], Env::default()).unwrap();
        assert_eq!(inv, Invocation::Help);
    }
}
