//! The benchmark report: runs every scenario for rtcb's five strategies (and, with `--peers`,
//! the crates a user would use instead) and prints markdown tables.
//!
//! ```text
//! cargo run --release -p rtcb_bench -- [--quick | --tiny] [--peers] [--json FILE] [--svg FILE]
//!     [--peers-svg FILE] [--md FILE]
//! ```
//!
//! `--quick` finishes in about a minute on two cores (noisier numbers); `--tiny` only checks
//! that everything runs (its numbers mean nothing). `--json` writes every number, `--svg` the
//! strategies' six-panel chart, `--peers-svg` the side-by-side chart of the contended costs,
//! `--md` the tables printed on stdout. Progress goes to stderr.

use rtcb_bench::alloc_count::CountingAllocator;
use rtcb_bench::config::Config;
use rtcb_bench::{chart, output};
use std::path::PathBuf;
use std::process::ExitCode;

// Counts heap bytes, allocations and frees per thread, for the memory and hazards tables (the
// bench may do this; the library never does).
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// What the command line asked for.
struct Args {
    config: Config,
    json: Option<PathBuf>,
    svg: Option<PathBuf>,
    peers_svg: Option<PathBuf>,
    markdown: Option<PathBuf>,
}

const USAGE: &str = "usage: report [--quick | --tiny] [--peers] [--json FILE] [--svg FILE] \
                     [--peers-svg FILE] [--md FILE]";

fn mode(name: &str) -> Config {
    Config::named(name).expect("a mode the suite defines")
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        config: mode("full"),
        json: None,
        svg: None,
        peers_svg: None,
        markdown: None,
    };
    let mut peers = false;
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
            "--peers-svg" => args.peers_svg = Some(file("--peers-svg")?),
            "--peers" => peers = true,
            "--md" => args.markdown = Some(file("--md")?),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    args.config.peers = peers;
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
    let report = rtcb_bench::run(&args.config, &mut |scenario| {
        eprintln!("[{:6.1} s] {scenario}", started.elapsed().as_secs_f64());
    });
    eprintln!("[{:6.1} s] done", started.elapsed().as_secs_f64());

    let markdown = output::markdown(&report);
    print!("{markdown}");
    if let Some(path) = &args.markdown {
        write(path, &markdown)?;
    }
    if let Some(path) = &args.json {
        write(path, &output::json(&report))?;
    }
    if let Some(path) = &args.svg {
        write(path, &chart::svg(&report)?)?;
    }
    if let Some(path) = &args.peers_svg {
        write(path, &chart::side_by_side_svg(&report)?)?;
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
