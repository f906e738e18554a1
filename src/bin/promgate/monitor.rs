//! `promgate monitor`: the gates evaluated every step against a Prometheus-compatible HTTP API,
//! with the dry-run's statistics, drift detectors, early stops and report; resumable through a
//! state file; or a backtest over a past window with range queries.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use promgate::decision::backtest::alert_history;
use promgate::decision::dryrun::load_rule_groups;
use promgate::decision::monitor::{Monitor, MonitorState, ReportExtras, Schedule};
use promgate::decision::{GatePlan, Verdict};
use promgate::rules::RuleKind;
use promgate::source::Prefetched;
use promgate::source::http::{Auth, HttpConfig, HttpSource};
use promgate::syntax::lex::{format_duration, parse_duration};

/// How to reach the API: shared by `monitor` and `fixture`.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// The API's base URL (`http://127.0.0.1:9090`, `https://mimir.example/prometheus`).
    #[arg(long)]
    pub url: String,
    /// An extra header `NAME:VALUE`, repeatable (`X-Scope-OrgID:tenant-1` for Mimir or Cortex).
    #[arg(long = "header", value_name = "NAME:VALUE")]
    pub headers: Vec<String>,
    /// A file holding a bearer token.
    #[arg(long)]
    pub bearer_token_file: Option<PathBuf>,
    /// A file holding `USER:PASSWORD` for basic authentication.
    #[arg(long)]
    pub basic_auth_file: Option<PathBuf>,
    /// PEM certificates to trust instead of the built-in web roots.
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// The time limit of one request.
    #[arg(long, default_value = "30s")]
    pub timeout: String,
    /// Retries after a 5xx, a 429 or a connection failure.
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// The most requests per second.
    #[arg(long)]
    pub rate_limit: Option<f64>,
}

impl ApiArgs {
    /// The client these arguments describe.
    pub fn source(&self) -> Result<HttpSource> {
        let mut config = HttpConfig::new(&self.url);
        config.timeout = Duration::from_millis(
            parse_duration(&self.timeout)
                .map_err(|e| anyhow::anyhow!("--timeout: {e}"))?
                .max(1) as u64,
        );
        config.retries = self.retries;
        config.rate_limit = self.rate_limit;
        for h in &self.headers {
            let (name, value) = h
                .split_once(':')
                .with_context(|| format!("--header {h:?}: expected NAME:VALUE"))?;
            config
                .headers
                .push((name.trim().to_string(), value.trim().to_string()));
        }
        let secret = |path: &Path| -> Result<String> {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            Ok(text.trim_end_matches(['\r', '\n']).to_string())
        };
        config.auth = match (&self.bearer_token_file, &self.basic_auth_file) {
            (Some(_), Some(_)) => {
                bail!("--bearer-token-file and --basic-auth-file exclude each other")
            }
            (Some(f), None) => Some(Auth::Bearer(secret(f)?)),
            (None, Some(f)) => {
                let text = secret(f)?;
                let (user, password) = text
                    .split_once(':')
                    .with_context(|| format!("{}: expected USER:PASSWORD", f.display()))?;
                Some(Auth::Basic {
                    user: user.to_string(),
                    password: password.to_string(),
                })
            }
            (None, None) => None,
        };
        if let Some(f) = &self.ca_file {
            config.ca_pem =
                Some(std::fs::read(f).with_context(|| format!("reading {}", f.display()))?);
        }
        Ok(HttpSource::new(config)?)
    }
}

/// Arguments of `promgate monitor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub api: ApiArgs,
    /// The gates file (its `dryrun:` section gives the schedule, early stops, drift and grade).
    #[arg(long)]
    pub gates: PathBuf,
    /// How long the run lasts (default: the gates file's `dryrun.duration`).
    #[arg(long)]
    pub duration: Option<String>,
    /// The step (default: the gates file's `dryrun.step`).
    #[arg(long)]
    pub step: Option<String>,
    /// The state file: written after each step (atomically), read to resume.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Run the steps that are due now, save the state and exit (for cron or a systemd timer).
    #[arg(long, requires = "state")]
    pub once: bool,
    /// A live run's start (default: now, on the step grid); an earlier start catches up on
    /// the past steps first. Ignored when resuming a state.
    #[arg(long, allow_hyphen_values = true, conflicts_with = "from")]
    pub start: Option<String>,
    /// Backtest: the window's start (unix seconds, RFC 3339 `2026-01-02T03:04:05Z`, `now`, or
    /// `-24h` before now). Range queries replay the window at once.
    #[arg(long, allow_hyphen_values = true, requires = "to")]
    pub from: Option<String>,
    /// Backtest: the window's end.
    #[arg(long, allow_hyphen_values = true, requires = "from")]
    pub to: Option<String>,
    /// Backtest: alerting rules to replay over the window (would they have fired, and when).
    #[arg(long, requires = "from")]
    pub rules: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = crate::dryrun::Output::Text)]
    pub output: crate::dryrun::Output,
}

/// Runs the command. Exit codes: 0 GO (or a run still in progress after `--once`), 1 NO-GO,
/// 3 inconclusive, 2 an error (the API unreachable, a bad gates or state file).
pub fn run(args: &Args) -> Result<ExitCode> {
    match monitor(args) {
        Ok(code) => Ok(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            Ok(ExitCode::from(2))
        }
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn monitor(args: &Args) -> Result<ExitCode> {
    let text = crate::fixtures::read_file(&args.gates)?;
    let plan = GatePlan::parse(&args.gates.display().to_string(), &text)?;
    let mut schedule = Schedule::from_spec(&plan.dryrun)?;
    if let Some(step) = &args.step {
        schedule.step_ms = parse_duration(step).map_err(|e| anyhow::anyhow!("--step: {e}"))?;
        if schedule.step_ms <= 0 {
            bail!("--step: must be positive");
        }
    }
    if let Some(d) = &args.duration {
        schedule.duration_ms = parse_duration(d).map_err(|e| anyhow::anyhow!("--duration: {e}"))?;
    }
    let now = now_ms();
    let window = match (&args.from, &args.to) {
        (Some(from), Some(to)) => {
            let (from, to) = (parse_time(from, now)?, parse_time(to, now)?);
            if to < from {
                bail!("--to is before --from");
            }
            schedule.duration_ms = to - from;
            Some((from, to))
        }
        _ => None,
    };
    let source = args.api.source()?;
    let saved = match &args.state {
        Some(path) if path.exists() => Some(load_state(path)?),
        _ => None,
    };
    let mut monitor = match saved {
        Some(state) => {
            if state.schedule != schedule {
                bail!(
                    "{}: the state has step {} and duration {}, this run asks for step {} and duration {}: use the same settings or a new state file",
                    args.state.as_deref().unwrap_or(Path::new("")).display(),
                    format_duration(state.schedule.step_ms),
                    format_duration(state.schedule.duration_ms),
                    format_duration(schedule.step_ms),
                    format_duration(schedule.duration_ms)
                );
            }
            if let Some((from, _)) = window
                && from != state.start_ms
            {
                bail!("the state's window starts at another time than --from");
            }
            Monitor::resume(&plan, state)?
        }
        None => {
            // A live run starts on the step grid, so restarts and cron runs stay aligned.
            let start = match (window, &args.start) {
                (Some((from, _)), _) => from,
                (None, Some(start)) => parse_time(start, now)?,
                (None, None) => now - now.rem_euclid(schedule.step_ms),
            };
            Monitor::with_schedule(&plan, start, schedule)?
        }
    };
    let tty = std::io::stderr().is_terminal();
    let total = schedule.total_steps();
    if let Some((from, to)) = window {
        let end = from + (to - from) / schedule.step_ms * schedule.step_ms;
        let mut exprs = Vec::new();
        for g in &plan.gates {
            exprs.push(&g.expr);
            exprs.extend(g.fallback.as_ref());
        }
        let prefetched = Prefetched::fetch(&source, &exprs, from, end, schedule.step_ms)?;
        // The window is already fetched, so steps take microseconds: saving after each would
        // rewrite the growing state thousands of times. Every 1,000 steps and at the end.
        while !monitor.is_finished() {
            monitor.step(&prefetched)?;
            if monitor.steps_taken() % 1000 == 0 {
                save(args, &monitor)?;
            }
        }
        save(args, &monitor)?;
    } else {
        while !monitor.is_finished() {
            let due = monitor.next_time();
            let wait = due - now_ms();
            if wait > 0 {
                if args.once {
                    break;
                }
                std::thread::sleep(Duration::from_millis(wait as u64));
            }
            monitor.step(&source)?;
            save(args, &monitor)?;
            if tty {
                eprint!(
                    "\rmonitor: step {}/{total} ({} of {})   ",
                    monitor.steps_taken(),
                    format_duration(monitor.next_offset() - schedule.step_ms),
                    format_duration(schedule.duration_ms)
                );
            }
        }
        if tty {
            eprintln!();
        }
    }
    if !monitor.is_finished() {
        let taken = monitor.steps_taken();
        match args.output {
            crate::dryrun::Output::Text => outln!(
                "IN PROGRESS: step {taken} of {total}, the next at {} (unix {:.3})",
                format_duration(monitor.next_offset()),
                monitor.next_time() as f64 / 1000.0
            ),
            crate::dryrun::Output::Json => outln!(
                "{}",
                serde_json::json!({"finished": false, "steps_taken": taken, "steps_total": total, "next_time_ms": monitor.next_time()})
            ),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let start = monitor.state().start_ms;
    let explain = |gate: usize, t: i64| source.explain_empty(&plan.gates[gate].expr, start + t);
    let report = monitor.report(&ReportExtras {
        explain_missing: Some(&explain),
        ..ReportExtras::default()
    })?;
    let alerts = match window {
        Some((from, to)) if !args.rules.is_empty() => alerts(args, &source, from, to, &schedule)?,
        _ => Vec::new(),
    };
    match args.output {
        crate::dryrun::Output::Text => {
            out!("{report}");
            if window.is_some() && !args.rules.is_empty() {
                outln!();
                outln!("Alerts over the window:");
                if alerts.is_empty() {
                    outln!("  none would have been active");
                }
                for a in &alerts {
                    outln!("  {a}");
                }
            }
        }
        crate::dryrun::Output::Json => {
            let mut json = crate::dryrun::json(&report);
            json["start_ms"] = monitor.state().start_ms.into();
            json["finished"] = true.into();
            if window.is_some() {
                json["alerts"] = alerts.into();
            }
            outln!("{}", serde_json::to_string_pretty(&json)?);
        }
    }
    Ok(match report.verdict {
        Verdict::Go => ExitCode::SUCCESS,
        Verdict::NoGo => ExitCode::from(1),
        Verdict::Inconclusive => ExitCode::from(3),
    })
}

/// The alert episodes of `--rules` over the window, one line each.
fn alerts(
    args: &Args,
    source: &HttpSource,
    from: i64,
    to: i64,
    schedule: &Schedule,
) -> Result<Vec<String>> {
    let mut texts = Vec::new();
    for f in &args.rules {
        texts.push((f.display().to_string(), crate::fixtures::read_file(f)?));
    }
    let groups = load_rule_groups(&texts)?;
    let mut lines = Vec::new();
    for group in &groups {
        let step = group.interval.unwrap_or(schedule.step_ms);
        let end = from + (to - from) / step * step;
        for rule in &group.rules {
            if !matches!(rule.kind, RuleKind::Alerting(_)) {
                continue;
            }
            for e in alert_history(source, rule, from, end, step)? {
                let at = |t: i64| format_duration(t - from);
                let firing = e
                    .firing_from
                    .map_or("never fired (pending only)".to_string(), |t| {
                        format!("firing from {}", at(t))
                    });
                let resolved = e
                    .resolved_at
                    .map_or("still active at the end".to_string(), |t| {
                        format!("resolved at {}", at(t))
                    });
                lines.push(format!(
                    "{} {}: active from {}, {firing}, {resolved}",
                    rule.name,
                    e.labels,
                    at(e.active_from)
                ));
            }
        }
    }
    Ok(lines)
}

fn load_state(path: &Path) -> Result<MonitorState> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{}: not a monitor state", path.display()))
}

/// Writes the state after a step: to a temporary file beside it, synced, then renamed over
/// the old one, so a crash leaves either the old state or the new one, never half of one.
fn save(args: &Args, monitor: &Monitor<'_>) -> Result<()> {
    let Some(path) = &args.state else {
        return Ok(());
    };
    let json = serde_json::to_vec(monitor.state())?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .with_context(|| format!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.tmp", name.to_string_lossy()));
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&json)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        // The rename itself is durable once the folder is synced (not possible everywhere).
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    };
    write().with_context(|| format!("writing the state to {}", path.display()))
}

/// A time: unix seconds, RFC 3339 in UTC (`2026-01-02T03:04:05Z`, fractions allowed),
/// `now`, or `-DURATION` before now. In ms.
pub fn parse_time(text: &str, now: i64) -> Result<i64> {
    if text == "now" {
        return Ok(now);
    }
    if let Some(rest) = text.strip_prefix('-')
        && let Ok(ms) = parse_duration(rest)
    {
        return Ok(now - ms);
    }
    if let Ok(seconds) = text.parse::<f64>()
        && seconds.is_finite()
        && seconds.abs() < 9.2e15
    {
        return Ok((seconds * 1000.0).round() as i64);
    }
    rfc3339(text).with_context(|| {
        format!("invalid time {text:?}: expected unix seconds, 2026-01-02T03:04:05Z, now or -24h")
    })
}

fn rfc3339(text: &str) -> Option<i64> {
    let text = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix("+00:00"))?;
    let (date, time) = text.split_once('T')?;
    let mut d = date.splitn(3, '-');
    let (y, m, day): (i64, i64, i64) = (
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
        d.next()?.parse().ok()?,
    );
    let mut t = time.splitn(3, ':');
    let (hh, mm): (i64, i64) = (t.next()?.parse().ok()?, t.next()?.parse().ok()?);
    let seconds: f64 = t.next()?.parse().ok()?;
    if !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || !(0..24).contains(&hh)
        || !(0..60).contains(&mm)
        || !(0.0..61.0).contains(&seconds)
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some((days * 86_400 + hh * 3600 + mm * 60) * 1000 + (seconds * 1000.0).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times() {
        assert_eq!(parse_time("1700000000", 0).unwrap(), 1_700_000_000_000);
        assert_eq!(parse_time("1970-01-01T00:00:00Z", 0).unwrap(), 0);
        assert_eq!(
            parse_time("2023-11-14T22:13:20.5Z", 0).unwrap(),
            1_700_000_000_500
        );
        assert_eq!(parse_time("-1h", 7_200_000).unwrap(), 3_600_000);
        assert_eq!(parse_time("now", 5).unwrap(), 5);
        assert!(parse_time("2023-13-01T00:00:00Z", 0).is_err());
        assert!(parse_time("yesterday", 0).is_err());
    }
}
