//! The HTTP source against a local fake server that misbehaves on purpose: timeouts, 5xx then
//! success, 429 with Retry-After, malformed JSON, slow bodies, connection resets, oversized
//! bodies; and `promgate monitor` killed mid-run and resumed.
#![cfg(feature = "http")]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use promgate::parse;
use promgate::source::Source;
use promgate::source::http::{ApiData, Auth, HttpConfig, HttpError, HttpSource};

/// What the fake server does with one request.
#[derive(Clone)]
enum Reply {
    /// A status, extra headers and a body.
    Http(u16, Vec<(&'static str, String)>, String),
    /// Close the connection without answering.
    Close,
    /// Send the headers, then the body one byte per `delay`.
    Slow(String, Duration),
    /// Never answer (until the client gives up).
    Hang,
}

fn ok(body: &str) -> Reply {
    Reply::Http(200, Vec::new(), body.to_string())
}

const VECTOR_ONE: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"a"},"value":[10,"1"]}]}}"#;

/// A fake API: answers requests in order from `script` (the last reply repeats), records each
/// request's head and body.
struct FakeServer {
    url: String,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeServer {
    fn start(script: Vec<Reply>) -> FakeServer {
        FakeServer::start_with(move |n, _| script[n.min(script.len() - 1)].clone())
    }

    fn start_with(reply: impl Fn(usize, &str) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = requests.clone();
        let reply = Arc::new(reply);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let seen = seen.clone();
                let reply = reply.clone();
                std::thread::spawn(move || serve(stream, &seen, &*reply));
            }
        });
        FakeServer { url, requests }
    }

    fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

/// Serves requests on one connection until it closes.
fn serve(mut stream: TcpStream, seen: &Mutex<Vec<String>>, reply: &dyn Fn(usize, &str) -> Reply) {
    loop {
        let Some(request) = read_request(&mut stream) else {
            return;
        };
        let n = {
            let mut seen = seen.lock().unwrap();
            seen.push(request.clone());
            seen.len() - 1
        };
        match reply(n, &request) {
            Reply::Http(status, headers, body) => {
                let mut head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    head.push_str(&format!("{k}: {v}\r\n"));
                }
                head.push_str("\r\n");
                if stream.write_all(head.as_bytes()).is_err()
                    || stream.write_all(body.as_bytes()).is_err()
                {
                    return;
                }
            }
            Reply::Close => return,
            Reply::Slow(body, delay) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                for b in body.bytes() {
                    std::thread::sleep(delay);
                    if stream.write_all(&[b]).is_err() {
                        return;
                    }
                }
            }
            Reply::Hang => {
                std::thread::sleep(Duration::from_secs(5));
                return;
            }
        }
    }
}

/// Reads one request (head and a Content-Length body); `None` at the end of the connection.
fn read_request(stream: &mut TcpStream) -> Option<String> {
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = find(&data, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_lowercase();
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                return Some(String::from_utf8_lossy(&data[..end + 4 + length]).into_owned());
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return None,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Decodes `application/x-www-form-urlencoded`.
fn form_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

fn config(url: &str) -> HttpConfig {
    let mut c = HttpConfig::new(url);
    c.timeout = Duration::from_millis(500);
    c.backoff = Duration::from_millis(10);
    c.max_backoff = Duration::from_secs(2);
    c.retries = 3;
    c.jitter_seed = 7;
    c
}

fn query(c: HttpConfig) -> Result<ApiData, HttpError> {
    HttpSource::new(c).unwrap().query("up", 10_000)
}

#[test]
fn server_errors_are_retried_until_success() {
    let server = FakeServer::start(vec![
        Reply::Http(503, vec![], "busy".into()),
        Reply::Http(502, vec![], "bad gateway".into()),
        ok(VECTOR_ONE),
    ]);
    let data = query(config(&server.url)).unwrap();
    assert_eq!(
        data,
        ApiData::Vector(vec![(promgate::Labels::from_pairs([("job", "a")]), 1.0)])
    );
    assert_eq!(server.count(), 3);
}

#[test]
fn persistent_server_errors_fail_naming_url_status_body_and_attempts() {
    let server = FakeServer::start(vec![Reply::Http(503, vec![], "overloaded".into())]);
    let err = query(config(&server.url)).unwrap_err().to_string();
    assert_eq!(server.count(), 4, "1 try and 3 retries");
    assert_eq!(
        err,
        format!(
            "{}/api/v1/query: HTTP 503 (after 4 attempts): overloaded",
            server.url
        )
    );
}

#[test]
fn client_errors_are_never_retried() {
    let body = r#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:5: parse error"}"#;
    let server = FakeServer::start(vec![Reply::Http(400, vec![], body.into())]);
    let err = query(config(&server.url)).unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "{}/api/v1/query: HTTP 400, bad_data: invalid parameter \"query\": 1:5: parse error (not retried)",
            server.url
        )
    );
    let server = FakeServer::start(vec![Reply::Http(404, vec![], "not found".into())]);
    assert!(matches!(
        query(config(&server.url)),
        Err(HttpError::Status {
            status: 404,
            attempts: 1,
            ..
        })
    ));
}

#[test]
fn too_many_requests_waits_for_retry_after() {
    let server = FakeServer::start(vec![
        Reply::Http(429, vec![("Retry-After", "1".into())], "slow down".into()),
        ok(VECTOR_ONE),
    ]);
    let started = Instant::now();
    query(config(&server.url)).unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.count(), 2);
    // A Retry-After beyond the longest backoff fails at once, saying so.
    let server = FakeServer::start(vec![Reply::Http(
        429,
        vec![("Retry-After", "120".into())],
        "".into(),
    )]);
    let err = query(config(&server.url)).unwrap_err().to_string();
    assert!(
        err.contains("retry after 120 s, longer than the 2 s allowed"),
        "{err}"
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn timeouts_and_slow_bodies_are_retried_then_reported() {
    let server = FakeServer::start(vec![Reply::Hang]);
    let mut c = config(&server.url);
    c.timeout = Duration::from_millis(200);
    c.retries = 1;
    let started = Instant::now();
    let err = query(c.clone()).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(
        matches!(err, HttpError::Transport { attempts: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("timeout"), "{err}");
    // A body that trickles in slower than the time limit.
    let server = FakeServer::start(vec![
        Reply::Slow(VECTOR_ONE.into(), Duration::from_millis(20)),
        ok(VECTOR_ONE),
    ]);
    let mut c = config(&server.url);
    c.timeout = Duration::from_millis(300);
    query(c).unwrap();
    assert_eq!(
        server.count(),
        2,
        "the slow answer was abandoned and retried"
    );
}

#[test]
fn connection_resets_are_retried() {
    let server = FakeServer::start(vec![Reply::Close, Reply::Close, ok(VECTOR_ONE)]);
    query(config(&server.url)).unwrap();
    assert_eq!(server.count(), 3);
    let refused = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut c = config(&refused);
    c.retries = 1;
    let err = HttpSource::new(c).unwrap().query("up", 0).unwrap_err();
    assert!(
        matches!(err, HttpError::Transport { attempts: 2, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("{refused}/api/v1/query: "))
    );
}

#[test]
fn malformed_and_wrong_responses_are_clear_errors() {
    let cases = [
        ("{\"status\":\"success\",\"data\":", "not JSON"),
        ("<html>proxy error</html>", "not JSON"),
        (r#"{"status":"success"}"#, "no \"data\""),
        (
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"fast"]}]}}"#,
            "a sample's value is not a number: \"fast\"",
        ),
        (
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,1.5]}]}}"#,
            "a sample's value is not a string: 1.5",
        ),
        (
            r#"{"status":"success","data":{"resultType":"matrix","result":{}}}"#,
            "a matrix's result is not a list",
        ),
    ];
    for (body, want) in cases {
        let server = FakeServer::start(vec![ok(body)]);
        let err = query(config(&server.url)).unwrap_err();
        assert!(matches!(err, HttpError::Invalid { .. }), "{err}");
        assert!(err.to_string().contains(want), "{err}\nwant: {want}");
        assert_eq!(server.count(), 1, "an invalid answer is not retried");
    }
    // A gate needs a vector or a scalar.
    let server = FakeServer::start(vec![ok(
        r#"{"status":"success","data":{"resultType":"string","result":[1,"x"]}}"#,
    )]);
    let source = HttpSource::new(config(&server.url)).unwrap();
    let err = source.instant(&parse("up").unwrap(), 0).unwrap_err();
    assert!(err.to_string().contains("not a string"), "{err}");
}

#[test]
fn special_values_and_scalars_map_into_our_types() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[
        {"metric":{"i":"c"},"value":[1,"-Inf"]},{"metric":{"i":"a"},"value":[1,"NaN"]},{"metric":{"i":"b"},"value":[1,"+Inf"]}]}}"#;
    let server = FakeServer::start(vec![
        ok(body),
        ok(r#"{"status":"success","data":{"resultType":"scalar","result":[1,"0.25"]}}"#),
    ]);
    let source = HttpSource::new(config(&server.url)).unwrap();
    let samples = source.instant(&parse("x").unwrap(), 1000).unwrap();
    let labels: Vec<String> = samples.iter().map(|(l, _)| l.to_string()).collect();
    assert_eq!(labels, ["{i=\"a\"}", "{i=\"b\"}", "{i=\"c\"}"], "sorted");
    assert!(samples[0].1.is_nan());
    assert_eq!(
        (samples[1].1, samples[2].1),
        (f64::INFINITY, f64::NEG_INFINITY)
    );
    let scalar = source.instant(&parse("scalar(x)").unwrap(), 1000).unwrap();
    assert_eq!(scalar, vec![(promgate::Labels::empty(), 0.25)]);
}

#[test]
fn oversized_bodies_are_refused_without_retry() {
    let big = format!(
        r#"{{"status":"success","data":{{"resultType":"string","result":[1,"{}"]}}}}"#,
        "x".repeat(4096)
    );
    let server = FakeServer::start(vec![ok(&big)]);
    let mut c = config(&server.url);
    c.max_body_bytes = 1024;
    let err = query(c).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/api/v1/query: the response is larger than the limit of 1024 bytes (not retried)",
            server.url
        )
    );
    assert_eq!(server.count(), 1);
}

#[test]
fn warnings_and_partial_responses_are_surfaced() {
    let body = r#"{"status":"success","isPartial":true,"warnings":["store gateway 3 unreachable"],"infos":["PromQL info: metric might not be a counter"],
        "data":{"resultType":"vector","result":[{"metric":{},"histogram":[1,{"count":"2","sum":"3","buckets":[]}]}]}}"#;
    let server = FakeServer::start(vec![ok(body)]);
    let source = HttpSource::new(config(&server.url)).unwrap();
    assert_eq!(source.instant(&parse("x").unwrap(), 0).unwrap(), vec![]);
    let warnings = source.take_warnings();
    let url = format!("{}/api/v1/query", server.url);
    assert_eq!(
        warnings,
        [
            format!("{url}: warning: store gateway 3 unreachable"),
            format!("{url}: info: PromQL info: metric might not be a counter"),
            format!("{url}: partial response (isPartial: some storage nodes did not answer)"),
            format!("{url}: 1 native histogram samples left out (gates compare floats)"),
        ]
    );
    assert!(source.take_warnings().is_empty(), "taken once");
}

#[test]
fn headers_auth_and_form_reach_the_server() {
    let server = FakeServer::start(vec![ok(VECTOR_ONE)]);
    let mut c = config(&server.url);
    c.headers.push(("X-Scope-OrgID".into(), "tenant-1".into()));
    c.auth = Some(Auth::Basic {
        user: "user".into(),
        password: "pass".into(),
    });
    let expr = r#"sum(rate(x{a="b c&d+e=%"}[5m])) + 1"#;
    HttpSource::new(c).unwrap().query(expr, 1_500).unwrap();
    let request = server.requests.lock().unwrap()[0].clone();
    assert!(
        request.starts_with("POST /api/v1/query HTTP/1.1\r\n"),
        "{request}"
    );
    let lower = request.to_lowercase();
    assert!(lower.contains("x-scope-orgid: tenant-1"), "{request}");
    assert!(
        lower.contains("authorization: basic dxnlcjpwyxnz"),
        "{request}"
    );
    let body = request.rsplit("\r\n\r\n").next().unwrap();
    let fields: Vec<(String, String)> = body
        .split('&')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (form_decode(k), form_decode(v))
        })
        .collect();
    assert_eq!(
        fields,
        [
            ("query".into(), expr.into()),
            ("time".into(), "1.500".into())
        ]
    );
    // Bad settings are refused before any request.
    let mut c = config(&server.url);
    c.headers.push(("X-Bad\r\nInjected".into(), "v".into()));
    assert!(matches!(HttpSource::new(c), Err(HttpError::Config(_))));
    let mut c = config(&server.url);
    c.ca_pem = Some(b"not a certificate".to_vec());
    assert!(matches!(HttpSource::new(c), Err(HttpError::Config(_))));
    assert!(HttpSource::new(config("ftp://x")).is_err());
}

#[test]
fn the_rate_limit_spaces_requests() {
    let server = FakeServer::start(vec![ok(VECTOR_ONE)]);
    let mut c = config(&server.url);
    c.rate_limit = Some(20.0);
    let source = HttpSource::new(c).unwrap();
    let started = Instant::now();
    for _ in 0..5 {
        source.query("up", 0).unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_millis(200),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn range_queries_are_split_and_regrouped_by_step() {
    // Each answer holds the points the request asked for: value = time in seconds.
    let server = FakeServer::start_with(|_, request| {
        let field = |name: &str| -> f64 {
            let body = request.rsplit("\r\n\r\n").next().unwrap();
            body.split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .unwrap()
                .parse()
                .unwrap()
        };
        let (start, end, step) = (field("start"), field("end"), field("step"));
        let mut points = Vec::new();
        let mut t = start;
        while t <= end {
            points.push(format!("[{t},\"{t}\"]"));
            t += step;
        }
        ok(&format!(
            r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[{}]}}]}}}}"#,
            points.join(",")
        ))
    });
    let source = HttpSource::new(config(&server.url)).unwrap();
    let steps = source
        .range(&parse("x").unwrap(), 0, 25_000 * 1000, 1000)
        .unwrap();
    assert_eq!(steps.len(), 25_001);
    assert_eq!(server.count(), 3, "10,000 steps per query at most");
    assert!(
        steps
            .iter()
            .enumerate()
            .all(|(i, s)| s.len() == 1 && s[0].1 == i as f64)
    );
}

// `promgate monitor` over a fake API that says every gate holds, started an hour in the past
// so it catches up as fast as the API answers: killed mid-run, then resumed with `--once`
// until done. The result must be the uninterrupted run's: no step lost or counted twice.
#[test]
fn monitor_killed_mid_run_resumes_without_losing_or_repeating_steps() {
    let server = FakeServer::start_with(|_, _| {
        std::thread::sleep(Duration::from_millis(2));
        ok(
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0.5"]}]}}"#,
        )
    });
    let dir = std::env::temp_dir().join(format!("promgate-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gates = dir.join("gates.yml");
    std::fs::write(
        &gates,
        "gates:\n  - {name: half, expr: vector(0.5), op: '<=', threshold: 1}\n  - {name: other, expr: sum(x), op: '<', threshold: 0.9}\ndryrun:\n  warmup: 10s\n  decide_at: 20s\n  step: 1s\n  duration: 1m\n  drift:\n    - {signal: half, detector: {method: cusum, baseline: {mean: 0.5, sigma: 0.1}}}\n",
    )
    .unwrap();
    let state = dir.join("state.json");
    let _ = std::fs::remove_file(&state);
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 3600;
    let args = |state: &std::path::Path| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_promgate"));
        c.args(["monitor", "--url", &server.url, "--gates"])
            .arg(&gates)
            .args(["--start", &start.to_string(), "--once", "--state"])
            .arg(state);
        c
    };
    let mut child = args(&state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once it has saved a few steps but long before its 61.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let steps = std::fs::read_to_string(&state)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map_or(0, |v| v["next_offset_ms"].as_i64().unwrap_or(0) / 1000);
        if steps >= 15 || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let at_kill = saved["next_offset_ms"].as_i64().unwrap();
    assert!(at_kill > 0 && at_kill < 60_000, "killed at {at_kill}");
    let resumed = args(&state).output().unwrap();
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    // The same run without an interruption.
    let fresh = dir.join("fresh.json");
    let _ = std::fs::remove_file(&fresh);
    let whole = args(&fresh).output().unwrap();
    assert_eq!(whole.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&resumed.stdout),
        String::from_utf8_lossy(&whole.stdout)
    );
    let a: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    let b: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&fresh).unwrap()).unwrap();
    assert_eq!(a, b, "the resumed state is the uninterrupted one");
    assert_eq!(
        a["verdicts"].as_str().unwrap().len(),
        51,
        "1m at 1s after a 10s warm-up"
    );
    assert!(String::from_utf8_lossy(&whole.stdout).starts_with("VERDICT: GO\n"));
    // Running again does nothing more: the run is over, the state unchanged.
    let again = args(&state).output().unwrap();
    assert_eq!(again.stdout, whole.stdout);
    let c: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(a, c);
    // Another gates file is refused rather than mixed in.
    let changed = std::fs::read_to_string(&gates)
        .unwrap()
        .replace("vector(0.5)", "vector(0.6)");
    std::fs::write(&gates, changed).unwrap();
    let other = args(&state).output().unwrap();
    assert_eq!(other.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&other.stderr).contains("other gates"));
    let _ = std::fs::remove_dir_all(&dir);
}

// `--once` before the run is due to end: it runs the due steps, says it is in progress and
// exits 0; later invocations continue.
#[test]
fn monitor_once_runs_the_due_steps_and_continues_later() {
    let server = FakeServer::start(vec![ok(VECTOR_ONE)]);
    let dir = std::env::temp_dir().join(format!("promgate-once-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gates = dir.join("gates.yml");
    std::fs::write(
        &gates,
        "gates:\n  - {name: up, expr: sum(up), op: '==', threshold: 1}\ndryrun: {decide_at: 2s, step: 1s, duration: 4s}\n",
    )
    .unwrap();
    let state = dir.join("state.json");
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_promgate"))
            .args(["monitor", "--url", &server.url, "--gates"])
            .arg(&gates)
            .args(["--start", "-2s", "--once", "--state"])
            .arg(&state)
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0));
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert!(text.starts_with("IN PROGRESS: step "), "{text}");
    let mut last = first;
    for _ in 0..10 {
        if String::from_utf8_lossy(&last.stdout).starts_with("VERDICT") {
            break;
        }
        std::thread::sleep(Duration::from_millis(700));
        last = run();
    }
    let text = String::from_utf8_lossy(&last.stdout).into_owned();
    assert!(text.starts_with("VERDICT: GO\n"), "{text}");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
    assert_eq!(saved["verdicts"], "GGGGG", "one verdict per step, 0s to 4s");
    let times: Vec<String> = server
        .requests
        .lock()
        .unwrap()
        .iter()
        .map(|r| r.rsplit("time=").next().unwrap().to_string())
        .collect();
    let mut unique = times.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(times.len(), 5, "each step queried once: {times:?}");
    assert_eq!(unique.len(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn monitor_errors_exit_2_and_keep_the_state() {
    let server = FakeServer::start(vec![Reply::Http(503, vec![], "down".into())]);
    let dir = std::env::temp_dir().join(format!("promgate-down-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gates = dir.join("gates.yml");
    std::fs::write(
        &gates,
        "gates:\n  - {name: up, expr: sum(up), op: '==', threshold: 1}\ndryrun: {decide_at: 0s, step: 1s, duration: 2s}\n",
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_promgate"))
        .args(["monitor", "--url", &server.url, "--retries", "0", "--gates"])
        .arg(&gates)
        .args(["--from", "1700000000", "--to", "1700000002"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "{}/api/v1/query_range: HTTP 503 (not retried): down",
            server.url
        )),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_gate_is_explained_through_the_series_endpoint() {
    // `up` has series, `missing_total` has none.
    let server = FakeServer::start_with(|_, request| {
        if request.contains("missing_total") {
            ok(r#"{"status":"success","data":[]}"#)
        } else {
            ok(r#"{"status":"success","data":[{"__name__":"up","job":"a"}]}"#)
        }
    });
    let source = HttpSource::new(config(&server.url)).unwrap();
    let expr = parse("sum(up) / sum(rate(missing_total[5m]))").unwrap();
    assert_eq!(
        source.explain_empty(&expr, 7_200_000).as_deref(),
        Some(
            "`{__name__=\"missing_total\"}` matches no series in the hour before (asked /api/v1/series)"
        )
    );
    let requests = server.requests.lock().unwrap().clone();
    assert!(
        requests[0].starts_with("POST /api/v1/series "),
        "{}",
        requests[0]
    );
    assert!(
        requests[0].ends_with("&start=3600.000&end=7200.000"),
        "{}",
        requests[0]
    );
    assert_eq!(source.explain_empty(&parse("up").unwrap(), 0), None);
}
