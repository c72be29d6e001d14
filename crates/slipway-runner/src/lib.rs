//! The GitHub Actions runner contract, shared by every slipway binary.
//!
//! A tool declares its inputs and outputs once ([`Tool`]); [`run`] parses the command line and
//! `INPUT_*` variables, sets up logging, calls the tool, and reports any error the same way in
//! every binary (an `::error` annotation, the causes, `hint:` lines, exit code 1).

pub mod commands;
pub mod context;
pub mod docs;
pub mod env;
pub mod event;
pub mod inputs;
pub mod outputs;
pub mod progress;
pub mod quote;
pub mod report;
pub mod secrets;
pub mod summary;

use std::process::ExitCode;

pub use commands::{Annotation, Commands};
pub use context::{Context, RepoSlug};
pub use env::Env;
pub use event::Event;
pub use inputs::{
    InputError, InputKind, InputSpec, Inputs, Invocation, MAX_PARALLEL, max_parallel_input,
};
pub use outputs::{OutputSpec, Outputs};
pub use quote::excerpt;
pub use report::{HintExt, Rendered};
pub use secrets::Secrets;
pub use summary::Summary;

/// A tool's static description: everything action.yml, `--help` and the README say about it.
#[derive(Debug, Clone, Copy)]
pub struct Tool {
    /// Binary and action name (`version-bump`).
    pub name: &'static str,
    /// The Feather icon its action shows on the Marketplace (`branding.icon`).
    pub icon: &'static str,
    /// Action display name.
    pub title: &'static str,
    /// One-paragraph description.
    pub description: &'static str,
    /// Declared inputs.
    pub inputs: &'static [InputSpec],
    /// Declared outputs.
    pub outputs: &'static [OutputSpec],
}

impl Tool {
    /// The `--help` text, generated from the declarations.
    pub fn usage(&self) -> String {
        let mut s = format!(
            "{} {}\n{}\n\nUsage: {} [--input value]...\n\nInputs (flag or INPUT_<NAME> variable):\n",
            self.name,
            env!("CARGO_PKG_VERSION"),
            self.description,
            self.name
        );
        for i in self.inputs {
            let default = i
                .default
                .map(|d| format!(" [default: {d}]"))
                .unwrap_or_default();
            let req = if i.required { " (required)" } else { "" };
            s.push_str(&format!(
                "  --{:<22} {}{req}{default}\n",
                i.name, i.description
            ));
        }
        s.push_str("\nOutputs (GITHUB_OUTPUT, or name=value on stdout):\n");
        for o in self.outputs {
            s.push_str(&format!("  {:<24} {}\n", o.name, o.description));
        }
        s
    }
}

/// Everything a tool needs from the runner for one run.
#[derive(Debug)]
pub struct Action {
    /// The tool being run.
    pub tool: &'static Tool,
    /// The process environment.
    pub env: Env,
    /// Resolved inputs.
    pub inputs: Inputs,
    /// Output writer.
    pub outputs: Outputs,
    /// Workflow commands (annotations, masks, groups).
    pub commands: Commands,
    /// The step summary, written by [`run`] when the tool returns (also on failure).
    pub summary: Summary,
    /// The workflow context.
    pub context: Context,
}

impl Action {
    /// Builds the action context from an environment and inputs (tests call this directly).
    pub fn new(tool: &'static Tool, env: Env, inputs: Inputs) -> Self {
        let commands = Commands::new(env.in_actions());
        let outputs = Outputs::new(tool.outputs, env.path(env::GITHUB_OUTPUT));
        let context = Context::from_env(&env);
        Self {
            tool,
            env,
            inputs,
            outputs,
            commands,
            summary: Summary::new(),
            context,
        }
    }

    /// The event payload, when GITHUB_EVENT_PATH names a file.
    pub fn event(&self) -> Result<Option<Event>, event::EventError> {
        match self.env.path(env::GITHUB_EVENT_PATH) {
            Some(p) if p.exists() => Event::load(&p).map(Some),
            _ => Ok(None),
        }
    }

    /// Sets an output, with context on failure.
    pub fn output(&mut self, name: &str, value: impl AsRef<str>) -> anyhow::Result<()> {
        Ok(self.outputs.set(name, value)?)
    }
}

/// Sets up tracing on stderr: INFO, or DEBUG with `RUNNER_DEBUG=1` or `verbose`; no timestamps
/// (the runner adds its own).
pub fn init_tracing(env: &Env, verbose: bool) {
    let level = if env.debug() || verbose {
        tracing::Level::DEBUG
    } else {
        tracing::Level::INFO
    };
    let _ = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_target(false)
        .without_time()
        .with_ansi(false)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The whole life of a binary: parse inputs, run `body`, write the summary, report errors.
/// Returns the process exit code (0 success, 1 failure, 2 bad command line).
pub fn run(
    tool: &'static Tool,
    body: impl AsyncFnOnce(&mut Action) -> anyhow::Result<()>,
) -> ExitCode {
    run_with_args(tool, std::env::args().skip(1).collect(), body)
}

/// [`run`] with the command-line arguments given (without the program or tool name): the
/// multi-call `slipway <tool> …` binary uses it.
#[allow(
    clippy::print_stdout,
    reason = "`--help` and `--version` answer on stdout"
)]
pub fn run_with_args(
    tool: &'static Tool,
    args: Vec<String>,
    body: impl AsyncFnOnce(&mut Action) -> anyhow::Result<()>,
) -> ExitCode {
    let env = Env::from_process();
    let commands = Commands::new(env.in_actions());
    let (inputs, invocation) = match Inputs::parse(tool.inputs, args, env.clone()) {
        Ok(parsed) => parsed,
        Err(e) => {
            report::report(tool.name, &e.into(), &commands);
            return ExitCode::from(2);
        }
    };
    match invocation {
        Invocation::Help => {
            print!("{}", tool.usage());
            return ExitCode::SUCCESS;
        }
        Invocation::Version => {
            println!("{} {}", tool.name, env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Invocation::Run => {}
    }
    // A tool that declares a `verbose` input (pypi-publish, as the pypa action has it) turns on
    // debug logging with it.
    let verbose =
        tool.inputs.iter().any(|i| i.name == "verbose") && inputs.bool("verbose").unwrap_or(false);
    init_tracing(&env, verbose);
    // One crypto provider for every TLS client in the process (the transport's reqwest).
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut action = Action::new(tool, env, inputs);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            report::report(
                tool.name,
                &anyhow::Error::new(e).context("cannot start the async runtime"),
                &action.commands,
            );
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(body(&mut action));
    let summary_file = action.env.path(env::GITHUB_STEP_SUMMARY);
    if let Err(e) = &result
        && summary_file.is_some()
        && action.summary.as_str().is_empty()
    {
        // A run that stops before its report still says on the run's page what failed.
        failure_summary(tool.name, e, &mut action);
    }
    if !action.summary.as_str().is_empty()
        && let Err(e) = action.summary.write(summary_file.as_ref())
    {
        action
            .commands
            .warning(&format!("could not write the step summary: {e}"));
    }
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            report::report(tool.name, &e, &action.commands);
            ExitCode::FAILURE
        }
    }
}

/// The step summary of a run that failed before writing one: the error report, redacted and
/// with long lines cut, as the log shows it.
fn failure_summary(tool: &str, err: &anyhow::Error, action: &mut Action) {
    let text = action
        .commands
        .redact(&report::Rendered::of(err).to_text())
        .lines()
        .map(quote::clip_line)
        .collect::<Vec<_>>()
        .join("\n");
    action
        .summary
        .heading(3, &format!("{tool}: failed"))
        .paragraph(&format!("```text\n{}\n```", text.replace("```", "'''")));
}
