//! `huddle-loadgen`: reads the command line, does one bounded run against one server
//! on the loopback interface and prints its report as one JSON line on stdout
//! (progress goes to stderr).
//!
//! Exit status: 0 when the run was done (its `ok` field says whether everything was
//! delivered), 2 for a bad setting, 1 when the run could not be done.

use std::process::ExitCode;

use clap::Parser;
use huddle_loadgen::config::Cli;
use huddle_loadgen::run;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match cli.config() {
        Ok(cfg) => cfg,
        Err(e) => {
            eprintln!("huddle-loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cfg.threads)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("huddle-loadgen: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run::execute(cfg)) {
        Ok(report) => {
            println!("{}", report.to_line());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("huddle-loadgen: {e}");
            ExitCode::from(1)
        }
    }
}
