//! The benchmark report: runs every scenario for all five strategies and prints markdown tables.
//!
//! ```text
//! cargo run --release -p rtcb --example report -- [--quick | --tiny] [--json FILE] [--svg FILE] [--md FILE]
//! ```
//!
//! `--quick` finishes in well under a minute on two cores (noisier numbers); `--tiny` only checks
//! that everything runs (its numbers mean nothing). `--json` writes every number, `--svg` a
//! chart, `--md` the tables printed on stdout. Progress goes to stderr.

mod suite;

use std::path::PathBuf;
use std::process::ExitCode;
use suite::alloc_count::CountingAllocator;
use suite::config::Config;

// Counts heap bytes per thread, for the memory table (an example may do this; the library never
// does).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// What the command line asked for.
struct Args {
    config: Config,
    json: Option<PathBuf>,
    svg: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

const USAGE: &str = "usage: report [--quick | --tiny] [--json FILE] [--svg FILE] [--md FILE]";

fn mode(name: &str) -> Config {
    Config::named(name).expect("a mode the suite defines")
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        config: mode("full"),
        json: None,
        svg: None,
        markdown: None,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut file = |flag: &str| {
            words
                .next()
                .map(PathBuf::from)
                .ok_or_else(|| format!("{flag} needs a file name\n{USAGE}"))
        };
        match word.as_str() {
            "--quick" => args.config = mode("quick"),
            "--tiny" => args.config = mode("tiny"),
            "--json" => args.json = Some(file("--json")?),
            "--svg" => args.svg = Some(file("--svg")?),
            "--md" => args.markdown = Some(file("--md")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn write(path: &PathBuf, contents: &str) -> Result<(), String> {
    std::fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; run with --release for meaningful numbers");
    }
    let started = std::time::Instant::now();
    let report = suite::run(&args.config, &mut |scenario| {
        eprintln!("[{:6.1} s] {scenario}", started.elapsed().as_secs_f64());
    });
    eprintln!("[{:6.1} s] done", started.elapsed().as_secs_f64());

    let markdown = suite::output::markdown(&report);
    print!("{markdown}");
    if let Some(path) = &args.markdown {
        write(path, &markdown)?;
    }
    if let Some(path) = &args.json {
        write(path, &suite::output::json(&report))?;
    }
    if let Some(path) = &args.svg {
        write(path, &suite::chart::svg(&report)?)?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}
