//! Against the real thing: Debian's `prometheus` server loaded with the L4 canary-burst
//! scenario (written as OpenMetrics, backfilled with `promtool tsdb create-blocks-from
//! openmetrics`), started on a free port. The live source and the fixture source must give the
//! same samples, the same decisions and the same statistics; `fixture` export must give back
//! the values it read.
#![cfg(feature = "http")]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use promgate::decision::GatePlan;
use promgate::decision::monitor::{Monitor, ReportExtras};
use promgate::eval::Semantics;
use promgate::fixture::{SeriesValue, parse_series_line};
use promgate::source::http::{HttpConfig, HttpSource};
use promgate::source::{Prefetched, Source, StoreSource};
use promgate::unittest::{GroupSelector, load_test_group};
use promgate::{EngineOptions, parse};

/// Gates over the raw series (the server has no recorded series for the past): the L4 checks
/// written out, with the L4 early stop and drift settings.
const GATES: &str = r#"
gates:
  - name: up
    expr: min(up{job="heartbeat"})
    op: "=="
    threshold: 1
  - name: changes_6m
    expr: min(changes(heartbeat_seq[6m]))
    op: ">="
    threshold: 2
  - name: samples_2m
    expr: min(count_over_time(heartbeat_seq[2m]))
    op: ">="
    threshold: 6
  - name: failure_ratio
    expr: |
      max(
          (sum by (instance) (rate(canary_requests_total{code=~"5.."}[5m]))
        or
          sum by (instance) (rate(canary_requests_total[5m])) * 0)
      /
        sum by (instance) (rate(canary_requests_total[5m])))
    op: "<="
    threshold: 0.08
  - name: unique_ratio
    expr: min(sum by (instance) (rate(canary_unique_total[5m])) / sum by (instance) (rate(canary_requests_total[5m])))
    op: ">="
    threshold: 0.92
  - name: absent_with_fallback
    expr: sum(no_such_metric)
    op: "<="
    threshold: 1
    on_missing: fallback
    fallback: vector(0)
dryrun:
  warmup: 6m
  decide_at: 10m
  duration: 24h
  step: 10s
  early_stop:
    - {kind: failing, signal: failure_ratio, for_ms: 300000}
  drift:
    - signal: unique_ratio
      detector: {method: cusum, baseline: {mean: 0.985, sigma: 0.01}, k: 0.5, h: 12}
"#;

/// The server, killed when dropped.
struct Server {
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn scenario_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/l4/scenarios/canary-burst.yml")
}

/// The scenario as OpenMetrics, time 0 at `base` (ms), through our own series parser.
fn openmetrics(base: i64) -> String {
    let text = std::fs::read_to_string(scenario_path()).unwrap();
    let (series, interval) =
        promgate::decision::dryrun::scenario_series("canary-burst.yml", &text).unwrap();
    let mut parsed: Vec<_> = series
        .iter()
        .map(|(s, v)| parse_series_line(&format!("{s} {v}")).unwrap())
        .collect();
    // OpenMetrics wants each metric family in one block.
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = String::new();
    for (labels, values) in parsed {
        let name = labels.metric_name().unwrap().to_string();
        let rest: Vec<String> = labels
            .iter()
            .filter(|l| l.name() != "__name__")
            .map(|l| {
                format!(
                    "{}=\"{}\"",
                    l.name(),
                    l.value().replace('\\', "\\\\").replace('"', "\\\"")
                )
            })
            .collect();
        for (i, v) in values.iter().enumerate() {
            if let SeriesValue::Float(f) = v {
                let t = base + i as i64 * interval;
                out.push_str(&format!(
                    "{name}{{{}}} {} {}.{:03}\n",
                    rest.join(","),
                    promgate::model::format_float_g(*f),
                    t / 1000,
                    t % 1000
                ));
            }
        }
    }
    out.push_str("# EOF\n");
    out
}

fn start_prometheus(base: i64) -> Server {
    let dir = std::env::temp_dir().join(format!("promgate-live-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join("data.om");
    std::fs::write(&input, openmetrics(base)).unwrap();
    let tsdb = dir.join("tsdb");
    let out = Command::new("promtool")
        .args(["tsdb", "create-blocks-from", "openmetrics"])
        .arg(&input)
        .arg(&tsdb)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = dir.join("prometheus.yml");
    std::fs::write(&config, "global:\n  scrape_interval: 1m\n").unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", tsdb.display()))
        .arg("--storage.tsdb.retention.time=3650d")
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus starts");
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}"),
        dir,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready(port) {
        assert!(Instant::now() < deadline, "prometheus not ready after 60 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

fn ready(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /-/ready HTTP/1.0\r\nHost: x\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
}

fn same(a: &[(promgate::Labels, f64)], b: &[(promgate::Labels, f64)]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.0 == y.0 && (x.1.to_bits() == y.1.to_bits() || (x.1.is_nan() && y.1.is_nan()))
        })
}

#[test]
#[ignore = "needs Debian's prometheus server and promtool (CI: .ci/run installs them)"]
fn live_prometheus_and_the_fixture_agree() {
    // A day and a bit in the past, on a whole minute: blocks well inside the retention.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let base = (now - 26 * 3_600_000) / 60_000 * 60_000;
    let server = start_prometheus(base);
    // A generous time limit: CI machines are small and busy.
    let mut config = HttpConfig::new(&server.url);
    config.timeout = Duration::from_secs(120);
    let live = HttpSource::new(config).unwrap();
    // The fixture, evaluated as the server evaluates (Debian's Prometheus is 2.42).
    let text = std::fs::read_to_string(scenario_path()).unwrap();
    let group = load_test_group(&text, GroupSelector::First, Semantics::Prometheus2).unwrap();
    let options = EngineOptions {
        semantics: Semantics::Prometheus2,
        ..EngineOptions::default()
    };
    let fixture = StoreSource::with_options(&group.store, options);
    let plan = GatePlan::parse("gates.yml", GATES).unwrap();

    // The same samples, instant by instant.
    for g in &plan.gates {
        for t in [
            0,
            6 * 60_000,
            8 * 3_600_000 + 5 * 60_000,
            23 * 3_600_000 + 10_000,
        ] {
            let a = live.instant(&g.expr, base + t).unwrap();
            let b = fixture.instant(&g.expr, t).unwrap();
            assert!(same(&a, &b), "{} at {t}: live {a:?}, fixture {b:?}", g.name);
        }
    }
    // And over a range.
    let expr = parse("canary_requests_total").unwrap();
    let a = live.range(&expr, base, base + 3_600_000, 10_000).unwrap();
    let b = fixture.range(&expr, 0, 3_600_000, 10_000).unwrap();
    assert!(a.iter().zip(&b).all(|(x, y)| same(x, y)));

    // The same decisions and statistics: the fixture's monitor against the live backtest
    // (range queries) gives the same report, word for word.
    let mut on_fixture = Monitor::new(&plan, 0).unwrap();
    while !on_fixture.is_finished() {
        on_fixture.step(&fixture).unwrap();
    }
    let expected = on_fixture.report(&ReportExtras::default()).unwrap();
    assert!(
        expected.stop.is_some(),
        "the canary burst stops the run: {expected}"
    );
    let schedule = on_fixture.state().schedule;
    let mut exprs = Vec::new();
    for g in &plan.gates {
        exprs.push(&g.expr);
        exprs.extend(g.fallback.as_ref());
    }
    let started = Instant::now();
    let window = Prefetched::fetch(
        &live,
        &exprs,
        base,
        base + schedule.duration_ms,
        schedule.step_ms,
    )
    .unwrap();
    let mut backtest = Monitor::new(&plan, base).unwrap();
    while !backtest.is_finished() {
        backtest.step(&window).unwrap();
    }
    let report = backtest.report(&ReportExtras::default()).unwrap();
    eprintln!(
        "backtest of 24 h at 10 s (6 gates): {:?}",
        started.elapsed()
    );
    assert_eq!(report.to_string(), expected.to_string());
    assert_eq!(report, expected);
    assert_eq!(backtest.state().verdicts, on_fixture.state().verdicts);
    assert_eq!(backtest.state().gate_steps, on_fixture.state().gate_steps);

    // Step by step with instant queries, as the live monitor runs: the first 15 minutes.
    let mut stepwise = Monitor::new(&plan, base).unwrap();
    let started = Instant::now();
    for _ in 0..90 {
        stepwise.step(&live).unwrap();
    }
    eprintln!(
        "monitor overhead per step (6 gates, instant queries): {:?}",
        started.elapsed() / 90
    );
    let n = stepwise.state().verdicts.len();
    assert_eq!(stepwise.state().verdicts, on_fixture.state().verdicts[..n]);
    for (a, b) in stepwise
        .state()
        .gate_steps
        .iter()
        .zip(&on_fixture.state().gate_steps)
    {
        assert_eq!(a.values, b.values[..n]);
        assert_eq!(a.statuses, b.statuses[..n]);
    }

    // The command line's backtest prints the same report and exits NO-GO.
    let gates = server.dir.join("gates.yml");
    std::fs::write(&gates, GATES).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args([
            "monitor",
            "--url",
            &server.url,
            "--timeout",
            "2m",
            "--gates",
        ])
        .arg(&gates)
        .args([
            "--from",
            &format!("{}", base / 1000),
            "--to",
            &format!("{}", (base + 24 * 3_600_000) / 1000),
        ])
        .arg("--rules")
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/live/alerts.yml"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with(&expected.to_string()), "{stdout}");
    // The alert on the raw ratio fires during the burst (8h to 8h30m), once per instance
    // that burst, after its 5m `for`.
    let alerts = stdout.split("Alerts over the window:\n").nth(1).unwrap();
    assert!(
        alerts.contains("CanaryFailureRatioHighRaw {instance=\"i5\"}: active from 8h"),
        "{alerts}"
    );
    assert!(!alerts.contains("still active"), "{alerts}");

    // fixture export → the values read back, and promtool agrees.
    let exported = server.dir.join("exported.yml");
    let out = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(["fixture", "--url", &server.url, "--timeout", "2m"])
        .args(["--match", "canary_requests_total", "--match", "up"])
        .args(["--from", &format!("{}", (base + 7 * 3_600_000) / 1000)])
        .args(["--to", &format!("{}", (base + 9 * 3_600_000) / 1000)])
        .args(["--step", "10s", "-o"])
        .arg(&exported)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&exported).unwrap();
    let loaded = load_test_group(&text, GroupSelector::First, Semantics::Prometheus2).unwrap();
    assert_eq!(loaded.store.num_series(), 20 * 2 + 20, "{text}");
    let replayed = StoreSource::with_options(
        &loaded.store,
        EngineOptions {
            semantics: Semantics::Prometheus2,
            ..EngineOptions::default()
        },
    );
    let selector = parse("canary_requests_total").unwrap();
    for t in [0, 3_600_000, 7_200_000] {
        let a = live.instant(&selector, base + 7 * 3_600_000 + t).unwrap();
        let b = replayed.instant(&selector, t).unwrap();
        assert!(same(&a, &b), "at {t}: {a:?} vs {b:?}");
    }
    // promtool test rules on the export with the live values at 1h as the expectation.
    let expect = live
        .instant(
            &parse("sum by (code) (canary_requests_total)").unwrap(),
            base + 8 * 3_600_000,
        )
        .unwrap();
    let mut test = text.replace("tests:\n", "rule_files: []\ntests:\n");
    test.push_str("    promql_expr_test:\n      - expr: sum by (code) (canary_requests_total)\n        eval_time: 1h\n        exp_samples:\n");
    for (labels, value) in &expect {
        test.push_str(&format!(
            "          - labels: '{labels}'\n            value: {}\n",
            promgate::model::format_float_g(*value)
        ));
    }
    let test_file = server.dir.join("exported_test.yml");
    std::fs::write(&test_file, &test).unwrap();
    let out = Command::new("promtool")
        .args(["test", "rules"])
        .arg(&test_file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{test}\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let ours = Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(["test", "rules", "--semantics", "prometheus2"])
        .arg(&test_file)
        .output()
        .unwrap();
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stdout)
    );
}
