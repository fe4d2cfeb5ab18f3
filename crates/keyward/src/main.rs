//! `keyward`: the binary. Parses the command line, loads configuration, runs one command, and turns
//! its outcome into an exit code (0 ok, 1 refused or failed, 2 bad usage).

mod cli;
mod commands;
mod config;
mod error;
mod output;
mod p8;
mod policy;
mod seed;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{Config, Overrides};
use crate::error::CliError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut overrides = Overrides {
        data_dir: cli.global.data_dir.clone(),
        database_url: cli.global.database_url.clone(),
        ..Overrides::default()
    };
    if let Command::Serve(args) = &cli.command {
        overrides.listen = args.listen.clone();
        overrides.public_url = args.public_url.clone();
        overrides.log_format = args.log_format.clone();
        overrides.policy = args.policy.clone();
        overrides.upstream = args.upstream.clone();
        overrides.upstream_ca_file = args.upstream_ca.clone();
    }
    let result = Config::load(cli.global.config.as_deref(), overrides).and_then(|config| {
        init_logging(&config, matches!(cli.command, Command::Serve(_)));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Refused(format!("cannot start the async runtime: {e}")))?;
        runtime.block_on(commands::run(cli.command, config))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

/// The server logs at `info`; one-shot commands only log warnings, so their stdout stays clean.
fn init_logging(config: &Config, serving: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if serving { "info" } else { "warn" };
    let filter =
        config.log.as_deref().and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if config.log_format == "json" {
        // One object per line: timestamp, level, target, message and the event's fields, flat.
        builder.json().flatten_event(true).try_init()
    } else {
        // Colours only for a person at a terminal; a file or a pipe gets plain text.
        builder.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).try_init()
    };
}
