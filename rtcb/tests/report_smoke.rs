//! Runs the benchmark report's scenarios in their tiny configuration (every code path, no
//! meaningful numbers) and checks the shape of what it produces: five strategies in every
//! scenario, both baselines, sizes, exact accounting of every attempted change, and no refusal
//! from the strategies that never refuse. No timing is asserted.

// The report example's modules (`examples/report/suite`), shared rather than copied.
#[path = "../examples/report/suite/mod.rs"]
mod suite;

use rtcb::Strategy;
use serde_json::Value;
use suite::alloc_count::CountingAllocator;
use suite::config::Config;

// The memory scenario measures heap bytes with this allocator, as the report example does.
#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn strategies(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["strategy"].as_str().expect("a strategy name"))
        .collect()
}

#[test]
fn a_tiny_report_has_the_published_shape_and_accounts_for_every_change() {
    let mut heard = Vec::new();
    let report = suite::run(
        &Config::named("tiny").expect("the tiny mode"),
        &mut |scenario| heard.push(scenario.to_owned()),
    );
    assert_eq!(
        heard,
        [
            "memory",
            "idle",
            "uncontended",
            "contended",
            "set_unset",
            "held_lock"
        ]
    );

    let json: Value = serde_json::from_str(&suite::output::json(&report)).expect("valid JSON");
    let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();

    // results: every strategy in every per-call scenario, with the four numbers.
    let results = json["results"].as_array().expect("results");
    for scenario in ["idle", "uncontended", "contended"] {
        let found: Vec<&str> = results
            .iter()
            .filter(|r| r["scenario"] == scenario)
            .map(|r| r["strategy"].as_str().expect("a strategy name"))
            .collect();
        assert_eq!(found, names, "{scenario}");
    }
    assert_eq!(results.len(), 15);
    for result in results {
        for field in ["median_ns", "p99_ns", "p999_ns", "max_ns"] {
            let value = result[field].as_f64().expect(field);
            assert!(value >= 0.0, "{field} of {result}");
        }
    }

    let baselines: Vec<&str> = json["baselines"]
        .as_array()
        .expect("baselines")
        .iter()
        .map(|b| {
            assert!(b["median_ns"].as_f64().is_some());
            b["name"].as_str().expect("a baseline name")
        })
        .collect();
    assert_eq!(baselines, ["atomic_load", "boxed_call"]);

    for scenario in ["set_unset", "held_lock"] {
        assert_eq!(strategies(&json[scenario]), names, "{scenario}");
        for run in json[scenario].as_array().expect("a list") {
            let count = |field: &str| run[field].as_u64().expect(field);
            let strategy = run["strategy"].as_str().expect("a strategy name");
            assert!(
                count("attempted") > 0,
                "{scenario} {strategy} made no change"
            );
            assert_eq!(
                count("attempted"),
                count("applied") + count("refused") + count("coalesced"),
                "{scenario} {strategy}: every attempted change is applied, refused or coalesced"
            );
            assert!(
                run["caught_up"].as_bool().expect("caught_up"),
                "{scenario} {strategy}: the audio thread never applied the last change"
            );
            assert_eq!(count("latency_failures"), 0, "{scenario} {strategy}");
            for field in [
                "change_cost_median_ns",
                "change_cost_max_ns",
                "applied_latency_p50_us",
                "applied_latency_max_us",
            ] {
                assert!(
                    run[field].as_f64().is_some(),
                    "{scenario} {strategy} {field}"
                );
            }
            let never_refuses = !Strategy::from_name(strategy)
                .expect("a strategy")
                .can_refuse();
            if never_refuses {
                assert_eq!(
                    count("refused"),
                    0,
                    "{scenario} {strategy} refused a change"
                );
            }
        }
    }

    assert_eq!(strategies(&json["sizes"]), names);
    for size in json["sizes"].as_array().expect("sizes") {
        for field in [
            "shared_bytes",
            "registrar_bytes",
            "caller_bytes",
            "max_live_listeners",
        ] {
            assert!(size[field].as_u64().expect(field) > 0, "{field} of {size}");
        }
    }

    let markdown = suite::output::markdown(&report);
    for heading in [
        "idle",
        "uncontended",
        "contended",
        "set_unset",
        "held_lock",
        "Memory",
    ] {
        assert!(markdown.contains(heading), "the tables lack {heading}");
    }
    let svg = suite::chart::svg(&report).expect("the chart draws");
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
}
