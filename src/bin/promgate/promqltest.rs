//! `promgate promqltest`: run Prometheus's PromQL test scripts.

use anyhow::Result;
use promgate::promqltest::run_file;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `promgate promqltest`.
#[derive(Debug, clap::Args)]
pub struct PromqltestArgs {
    /// Print every failing eval with the reason.
    #[arg(long, short)]
    pub verbose: bool,
    /// Script files (`.test`), or folders of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Expands folders into their `.test` files, sorted.
fn script_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "test"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Runs the command: one line per file, then `N passed, M failed` over all eval commands.
pub fn run(args: &PromqltestArgs) -> Result<ExitCode> {
    let (mut passed, mut failed) = (0, 0);
    for path in script_files(&args.paths)? {
        let report = run_file(&path);
        passed += report.passed();
        failed += report.failed();
        outln!("{report}");
        if args.verbose {
            for eval in &report.evals {
                if let Some(why) = &eval.failure {
                    outln!("  line {}: {}\n    {why}", eval.line, eval.query);
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed");
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
