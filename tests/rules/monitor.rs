//! The monitor's state machine: stopped after any step, its state written as JSON and read
//! back, and resumed, it ends exactly as the run that never stopped.

use promgate::decision::GatePlan;
use promgate::decision::monitor::{Monitor, MonitorState, ReportExtras};
use promgate::source::StoreSource;
use promgate::{Labels, Store};

const GATES: &str = r#"
gates:
  - {name: ratio, expr: max(x), op: "<=", threshold: 0.5}
  - {name: odd, expr: max(y), op: ">=", threshold: 0, on_missing: inconclusive, severity: warning}
dryrun:
  warmup: 20s
  decide_at: 1m
  duration: 10m
  step: 10s
  early_stop:
    - {kind: failing, signal: ratio, for_ms: 60000}
  drift:
    - signal: ratio
      detector: {method: cusum, baseline: {mean: 0.1, sigma: 0.05}, k: 0.5, h: 4}
"#;

/// `x` drifts up and crosses 0.5 at 7m; `y` starts at 3m and holds NaN, +Inf and -Inf.
fn store() -> Store {
    let mut store = Store::new();
    let x = Labels::from_pairs([("__name__", "x")]);
    store
        .append_floats(x, (0..=60).map(|i| (i * 10_000, 0.1 + 0.01 * i as f64)))
        .unwrap();
    let y = Labels::from_pairs([("__name__", "y")]);
    let specials = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.3];
    store
        .append_floats(
            y,
            (0..60)
                .filter(|i| i % 7 != 3)
                .map(|i| (180_000 + i * 60_000, specials[i as usize % 4])),
        )
        .unwrap();
    store
}

fn finish<'p>(mut monitor: Monitor<'p>, source: &StoreSource<'_>) -> Monitor<'p> {
    while !monitor.is_finished() {
        monitor.step(source).unwrap();
    }
    monitor
}

#[test]
fn resuming_after_any_step_gives_the_uninterrupted_run() {
    let plan = GatePlan::parse("gates.yml", GATES).unwrap();
    let store = store();
    let source = StoreSource::new(&store);
    let whole = finish(Monitor::new(&plan, 0).unwrap(), &source);
    let expected = whole.report(&ReportExtras::default()).unwrap();
    assert!(expected.stop.is_some(), "{expected}");
    assert!(!expected.gates[0].change_points.is_empty(), "{expected}");
    let steps = whole.steps_taken();
    for split in 0..steps {
        let mut first = Monitor::new(&plan, 0).unwrap();
        for _ in 0..split {
            first.step(&source).unwrap();
        }
        let json = serde_json::to_string(first.state()).unwrap();
        let state: MonitorState = serde_json::from_str(&json).unwrap();
        assert_eq!(
            &state.gate_steps[1].values.len(),
            &first.state().gate_steps[1].values.len()
        );
        let resumed = finish(Monitor::resume(&plan, state).unwrap(), &source);
        let report = resumed.report(&ReportExtras::default()).unwrap();
        assert_eq!(
            report.to_string(),
            expected.to_string(),
            "split after {split} steps"
        );
        assert_eq!(
            serde_json::to_string(resumed.state()).unwrap(),
            serde_json::to_string(whole.state()).unwrap(),
            "split after {split} steps"
        );
    }
}

#[test]
fn special_values_survive_the_state_file_bit_for_bit() {
    let plan = GatePlan::parse("gates.yml", GATES).unwrap();
    let store = store();
    let source = StoreSource::new(&store);
    let whole = finish(Monitor::new(&plan, 0).unwrap(), &source);
    let json = serde_json::to_string(whole.state()).unwrap();
    let back: MonitorState = serde_json::from_str(&json).unwrap();
    let bits = |s: &MonitorState| -> Vec<Option<u64>> {
        s.gate_steps
            .iter()
            .flat_map(|g| g.values.iter().map(|v| v.map(f64::to_bits)))
            .collect()
    };
    assert_eq!(bits(&back), bits(whole.state()));
    let values = &whole.state().gate_steps[1].values;
    assert!(values.iter().any(|v| v.is_some_and(f64::is_nan)));
    assert!(values.contains(&Some(f64::INFINITY)));
    assert!(values.contains(&None));
}

#[test]
fn a_step_is_recorded_once_and_a_broken_state_is_refused() {
    let plan = GatePlan::parse("gates.yml", GATES).unwrap();
    let store = store();
    let source = StoreSource::new(&store);
    let mut monitor = Monitor::new(&plan, 0).unwrap();
    monitor.step(&source).unwrap();
    // The decision for the step already taken cannot be pushed again.
    let again = plan.decide(&source, 0).unwrap();
    let err = monitor.push(again, &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "a step at 0s was pushed, the next step is at 10s"
    );
    for _ in 0..5 {
        monitor.step(&source).unwrap();
    }
    let mut state = monitor.state().clone();
    state.next_offset_ms += 10_000;
    let err = Monitor::resume(&plan, state).unwrap_err();
    assert!(err.to_string().contains("inconsistent"), "{err}");
    let mut state = monitor.state().clone();
    state.gate_steps[0].values.pop();
    assert!(Monitor::resume(&plan, state).is_err());
    let other = GatePlan::parse("gates.yml", &GATES.replace("0.5}", "0.6}")).unwrap();
    let err = Monitor::resume(&other, monitor.state().clone()).unwrap_err();
    assert!(err.to_string().contains("other gates"), "{err}");
}
