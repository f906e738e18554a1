//! A [`Source`] over any Prometheus-compatible HTTP query API: Prometheus, Thanos, Mimir,
//! Cortex, VictoriaMetrics (feature `http`).
//!
//! A small blocking client ([`ureq`] with rustls): a timeout per request, retries with
//! exponential backoff and full jitter on 5xx, 429 and transport failures (honouring
//! `Retry-After`; never on other 4xx), basic or bearer authentication, custom headers (such as
//! `X-Scope-OrgID` for Mimir and Cortex tenants), a custom CA, a rate limit and a cap on the
//! response size. Responses are validated into [`Labels`] and `f64` (`"NaN"`, `"+Inf"` and
//! `"-Inf"` included); anything else is an [`HttpError`] naming the URL, what came back and how
//! often it was tried. The API's `warnings`, `infos` and partial-response flags are kept for
//! [`Source::take_warnings`].
//!
//! ```no_run
//! use promgate::source::http::{HttpConfig, HttpSource};
//! use promgate::source::Source;
//! let mut config = HttpConfig::new("http://127.0.0.1:9090");
//! config.headers.push(("X-Scope-OrgID".into(), "tenant-1".into()));
//! let source = HttpSource::new(config).unwrap();
//! let expr = promgate::parse("sum(up)").unwrap();
//! let samples = source.instant(&expr, 1_700_000_000_000).unwrap();
//! println!("{samples:?}");
//! ```

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use super::{Source, SourceError, range_steps};
use crate::Labels;
use crate::model::Timestamp;
use crate::promql::{Expr, ExprKind};
use crate::stats::SplitMix64;

/// The most points Prometheus returns per series of one range query is 11,000; range queries
/// are split into windows of at most this many steps.
pub const MAX_POINTS_PER_QUERY: i64 = 10_000;

/// How many bytes of a response body an error quotes.
const EXCERPT_BYTES: usize = 200;

/// How to authenticate.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    /// HTTP basic authentication.
    Basic {
        /// The user name.
        user: String,
        /// The password.
        password: String,
    },
    /// `Authorization: Bearer <token>`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    // Secrets never reach logs or error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { user, .. } => write!(f, "Basic({user}, <password>)"),
            Auth::Bearer(_) => f.write_str("Bearer(<token>)"),
        }
    }
}

/// The client's settings. [`HttpConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// The API's base URL: `http://host:9090`, or with a path prefix
    /// (`https://mimir.example/prometheus`); `/api/v1/...` is appended.
    pub url: String,
    /// The time limit of one request, from connecting to the end of the body (default 30 s).
    pub timeout: Duration,
    /// The time limit of connecting (default 5 s).
    pub connect_timeout: Duration,
    /// Retries after a 5xx, a 429 or a transport failure (default 3; 4xx other than 429 are
    /// never retried).
    pub retries: u32,
    /// The first backoff (default 200 ms); each retry doubles it, with full jitter.
    pub backoff: Duration,
    /// The longest backoff, and the longest `Retry-After` honoured (default 30 s; a longer
    /// `Retry-After` fails at once, saying so).
    pub max_backoff: Duration,
    /// Authentication.
    pub auth: Option<Auth>,
    /// Extra headers sent with every request (`X-Scope-OrgID` for a Mimir or Cortex tenant).
    pub headers: Vec<(String, String)>,
    /// PEM certificates trusted instead of the built-in web roots (a private CA).
    pub ca_pem: Option<Vec<u8>>,
    /// The most requests per second (default: no limit).
    pub rate_limit: Option<f64>,
    /// The largest response body read (default 64 MiB); a larger one is an error.
    pub max_body_bytes: u64,
    /// The seed of the backoff's jitter (default: from the clock).
    pub jitter_seed: u64,
}

impl HttpConfig {
    /// The defaults for an API at `url`.
    ///
    /// ```
    /// let c = promgate::source::http::HttpConfig::new("http://127.0.0.1:9090/");
    /// assert_eq!((c.retries, c.max_body_bytes), (3, 64 << 20));
    /// ```
    pub fn new(url: &str) -> HttpConfig {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        HttpConfig {
            url: url.trim_end_matches('/').to_string(),
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retries: 3,
            backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(30),
            auth: None,
            headers: Vec::new(),
            ca_pem: None,
            rate_limit: None,
            max_body_bytes: 64 << 20,
            jitter_seed: seed,
        }
    }
}

/// A request that failed. Every kind names the URL; those that reached the server say what
/// came back; `attempts` says how often it was tried (1: not retried).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// A setting that cannot work (a bad URL, header or CA file).
    #[error("{0}")]
    Config(String),
    /// No response: connection refused or reset, a timeout, a DNS failure.
    #[error("{url}: {message} ({})", tried(*attempts))]
    Transport {
        /// The URL.
        url: String,
        /// What failed.
        message: String,
        /// Attempts made.
        attempts: u32,
    },
    /// An HTTP error status (a 5xx or 429 after the last retry, or a 4xx) without an API
    /// error in the body.
    #[error("{url}: HTTP {status} ({}): {excerpt}", tried(*attempts))]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body.
        excerpt: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The API answered `"status": "error"` (a bad query, an execution error).
    #[error("{url}: HTTP {status}, {error_type}: {error} ({})", tried(*attempts))]
    Api {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The API's `errorType`.
        error_type: String,
        /// The API's `error`.
        error: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The body is larger than [`HttpConfig::max_body_bytes`].
    #[error("{url}: the response is larger than the limit of {limit} bytes (not retried)")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// A body that is not the API's JSON, or JSON of the wrong shape.
    #[error("{url}: invalid response: {message}; the body starts {excerpt:?}")]
    Invalid {
        /// The URL.
        url: String,
        /// What is wrong.
        message: String,
        /// The start of the body.
        excerpt: String,
    },
}

fn tried(attempts: u32) -> String {
    match attempts {
        1 => "not retried".to_string(),
        n => format!("after {n} attempts"),
    }
}

impl From<HttpError> for SourceError {
    fn from(e: HttpError) -> SourceError {
        SourceError::new(e.to_string())
    }
}

/// The `data` of a successful API response.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiData {
    /// An instant vector (float samples; histogram samples are counted in the warnings).
    Vector(Vec<(Labels, f64)>),
    /// A scalar.
    Scalar(f64),
    /// A range vector: each series with its (time in ms, value) points.
    Matrix(Vec<(Labels, Vec<(Timestamp, f64)>)>),
    /// A string.
    String(String),
}

impl ApiData {
    fn type_name(&self) -> &'static str {
        match self {
            ApiData::Vector(_) => "vector",
            ApiData::Scalar(_) => "scalar",
            ApiData::Matrix(_) => "matrix",
            ApiData::String(_) => "string",
        }
    }
}

/// A [`Source`] over a Prometheus-compatible HTTP API.
#[derive(Debug)]
pub struct HttpSource {
    agent: ureq::Agent,
    config: HttpConfig,
    state: Mutex<ClientState>,
}

#[derive(Debug)]
struct ClientState {
    next_request: Option<Instant>,
    rng: SplitMix64,
    warnings: Vec<String>,
}

/// What one attempt gave.
enum Attempt {
    Done(u16, Vec<u8>),
    Retry {
        message: String,
        status: Option<(u16, Vec<u8>)>,
        after: Option<Duration>,
    },
    Fail(HttpError),
}

impl HttpSource {
    /// A client for `config`. Fails on a CA file without certificates or a bad header.
    pub fn new(config: HttpConfig) -> Result<HttpSource, HttpError> {
        if !(config.url.starts_with("http://") || config.url.starts_with("https://")) {
            return Err(HttpError::Config(format!(
                "{}: the URL must start with http:// or https://",
                config.url
            )));
        }
        for (name, value) in &config.headers {
            let valid_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b));
            if !valid_name || value.bytes().any(|b| b == b'\r' || b == b'\n') {
                return Err(HttpError::Config(format!(
                    "invalid header {name:?}: a name is letters, digits, '-' and '_', a value has no line break"
                )));
            }
        }
        let mut tls = ureq::tls::TlsConfig::builder();
        if let Some(pem) = &config.ca_pem {
            let mut certs = Vec::new();
            for item in ureq::tls::parse_pem(pem) {
                match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => certs.push(c),
                    Ok(_) => {}
                    Err(e) => return Err(HttpError::Config(format!("CA file: {e}"))),
                }
            }
            if certs.is_empty() {
                return Err(HttpError::Config(
                    "CA file: no PEM certificate found".into(),
                ));
            }
            tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
        }
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(config.timeout))
            .timeout_connect(Some(config.connect_timeout))
            .max_redirects(0)
            .user_agent(concat!("promgate/", env!("CARGO_PKG_VERSION")))
            .tls_config(tls.build())
            .build()
            .new_agent();
        Ok(HttpSource {
            agent,
            state: Mutex::new(ClientState {
                next_request: None,
                rng: SplitMix64::new(config.jitter_seed),
                warnings: Vec::new(),
            }),
            config,
        })
    }

    /// `/api/v1/query`: `expr` at `t` (ms).
    pub fn query(&self, expr: &str, t: Timestamp) -> Result<ApiData, HttpError> {
        self.api(
            "query",
            &[("query", expr.to_string()), ("time", api_time(t))],
        )
    }

    /// `/api/v1/query_range`: `expr` from `start` to `end` (ms) at `step` (ms).
    pub fn query_range(
        &self,
        expr: &str,
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<ApiData, HttpError> {
        self.api(
            "query_range",
            &[
                ("query", expr.to_string()),
                ("start", api_time(start)),
                ("end", api_time(end)),
                ("step", api_time(step)),
            ],
        )
    }

    /// `/api/v1/series`: the series matching any of `selectors` between `start` and `end`,
    /// sorted.
    pub fn series(
        &self,
        selectors: &[&str],
        start: Timestamp,
        end: Timestamp,
    ) -> Result<Vec<Labels>, HttpError> {
        let mut form: Vec<(&str, String)> = selectors
            .iter()
            .map(|s| ("match[]", s.to_string()))
            .collect();
        form.push(("start", api_time(start)));
        form.push(("end", api_time(end)));
        let (url, data, body) = self.call("series", &form)?;
        let items = data
            .as_array()
            .ok_or_else(|| invalid(&url, "data is not a list of series", &body))?;
        let mut out = items
            .iter()
            .map(|m| {
                labels(m).ok_or_else(|| {
                    invalid(&url, "a series is not an object of string labels", &body)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        out.sort();
        Ok(out)
    }

    /// `/api/v1/labels`: the label names between `start` and `end`, sorted.
    pub fn label_names(&self, start: Timestamp, end: Timestamp) -> Result<Vec<String>, HttpError> {
        let (url, data, body) = self.call(
            "labels",
            &[("start", api_time(start)), ("end", api_time(end))],
        )?;
        let mut names = data
            .as_array()
            .and_then(|a| {
                a.iter()
                    .map(|n| n.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| invalid(&url, "data is not a list of names", &body))?;
        names.sort();
        Ok(names)
    }

    /// Why `expr` may have been empty at `t` (ms): the first of its selectors that matches no
    /// series in the hour before `t`, asked of `/api/v1/series`. `None` when every selector
    /// matches something (the cause is elsewhere: a filter, a comparison) or the API cannot
    /// say. Offsets and `@` are not taken into account.
    pub fn explain_empty(&self, expr: &Expr, t: Timestamp) -> Option<String> {
        let mut selectors: Vec<String> = Vec::new();
        expr.walk(&mut |e| {
            let selector = match &e.kind {
                ExprKind::VectorSelector(vs) => vs,
                ExprKind::MatrixSelector(ms) => &ms.selector,
                _ => return,
            };
            let matchers: Vec<String> = selector.matchers.iter().map(|m| m.to_string()).collect();
            let text = format!("{{{}}}", matchers.join(", "));
            if !selectors.contains(&text) {
                selectors.push(text);
            }
        });
        for selector in selectors {
            match self.series(&[selector.as_str()], t - 3_600_000, t) {
                Ok(found) if found.is_empty() => {
                    return Some(format!(
                        "`{selector}` matches no series in the hour before (asked /api/v1/series)"
                    ));
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    }

    fn api(&self, endpoint: &str, form: &[(&str, String)]) -> Result<ApiData, HttpError> {
        let (url, data, body) = self.call(endpoint, form)?;
        let (parsed, histograms) = parse_data(&data).map_err(|m| invalid(&url, &m, &body))?;
        if histograms > 0 {
            self.warn(format!(
                "{url}: {histograms} native histogram samples left out (gates compare floats)"
            ));
        }
        Ok(parsed)
    }

    fn warn(&self, message: String) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // A bounded list: a day of steps repeating one warning must not grow without end.
        if state.warnings.len() < 1_000 {
            state.warnings.push(message);
        }
    }

    /// One API call with retries: the URL, the `data` member and the body.
    fn call(
        &self,
        endpoint: &str,
        form: &[(&str, String)],
    ) -> Result<(String, Json, Vec<u8>), HttpError> {
        let url = format!("{}/api/v1/{endpoint}", self.config.url);
        let attempts = self.config.retries + 1;
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.wait_for_rate_limit();
            let (message, status, after) = match self.attempt(&url, form) {
                Attempt::Done(status, body) => return self.finish(&url, status, body, attempt),
                Attempt::Fail(e) => return Err(e),
                Attempt::Retry {
                    message,
                    status,
                    after,
                } => (message, status, after),
            };
            if attempt >= attempts {
                return Err(match status {
                    Some((status, body)) => self.error_status(&url, status, &body, attempt),
                    None => HttpError::Transport {
                        url,
                        message,
                        attempts: attempt,
                    },
                });
            }
            let delay = match after {
                Some(d) if d > self.config.max_backoff => {
                    return Err(HttpError::Transport {
                        url,
                        message: format!(
                            "{message}; the server asks to retry after {} s, longer than the {} s allowed",
                            d.as_secs(),
                            self.config.max_backoff.as_secs()
                        ),
                        attempts: attempt,
                    });
                }
                Some(d) => d,
                None => self.backoff(attempt),
            };
            std::thread::sleep(delay);
        }
    }

    fn attempt(&self, url: &str, form: &[(&str, String)]) -> Attempt {
        let mut request = self.agent.post(url);
        for (name, value) in &self.config.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        match &self.config.auth {
            Some(Auth::Basic { user, password }) => {
                let token = base64(format!("{user}:{password}").as_bytes());
                request = request.header("Authorization", format!("Basic {token}"));
            }
            Some(Auth::Bearer(token)) => {
                request = request.header("Authorization", format!("Bearer {token}"));
            }
            None => {}
        }
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut response = match request.send_form(pairs) {
            Ok(r) => r,
            Err(e) => return transport(url, e, self.config.max_body_bytes),
        };
        let status = response.status().as_u16();
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = match response
            .body_mut()
            .with_config()
            .limit(self.config.max_body_bytes)
            .read_to_vec()
        {
            Ok(b) => b,
            Err(e) => return transport(url, e, self.config.max_body_bytes),
        };
        if status == 429 || status >= 500 {
            return Attempt::Retry {
                message: format!("HTTP {status}"),
                status: Some((status, body)),
                after,
            };
        }
        Attempt::Done(status, body)
    }

    fn finish(
        &self,
        url: &str,
        status: u16,
        body: Vec<u8>,
        attempts: u32,
    ) -> Result<(String, Json, Vec<u8>), HttpError> {
        if !(200..300).contains(&status) {
            return Err(self.error_status(url, status, &body, attempts));
        }
        let json: Json = serde_json::from_slice(&body)
            .map_err(|e| invalid(url, &format!("not JSON ({e})"), &body))?;
        if json.get("status").and_then(Json::as_str) != Some("success") {
            return Err(api_error(url, status, &json, attempts)
                .unwrap_or_else(|| invalid(url, "\"status\" is not \"success\"", &body)));
        }
        for key in ["warnings", "infos"] {
            if let Some(list) = json.get(key).and_then(Json::as_array) {
                for w in list {
                    let text = w.as_str().map_or_else(|| w.to_string(), str::to_string);
                    self.warn(format!("{url}: {}: {text}", key.trim_end_matches('s')));
                }
            }
        }
        // VictoriaMetrics's cluster flags answers that miss some storage nodes.
        if json.get("isPartial").and_then(Json::as_bool) == Some(true) {
            self.warn(format!(
                "{url}: partial response (isPartial: some storage nodes did not answer)"
            ));
        }
        let data = json
            .get("data")
            .cloned()
            .ok_or_else(|| invalid(url, "no \"data\"", &body))?;
        Ok((url.to_string(), data, body))
    }

    fn error_status(&self, url: &str, status: u16, body: &[u8], attempts: u32) -> HttpError {
        serde_json::from_slice::<Json>(body)
            .ok()
            .and_then(|json| api_error(url, status, &json, attempts))
            .unwrap_or_else(|| HttpError::Status {
                url: url.to_string(),
                status,
                excerpt: excerpt(body),
                attempts,
            })
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .config
            .backoff
            .saturating_mul(1u32 << (attempt - 1).min(20))
            .min(self.config.max_backoff);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        // Full jitter: uniform in [0, ceiling], so clients that failed together spread out.
        ceiling.mul_f64(state.rng.next_f64())
    }

    fn wait_for_rate_limit(&self) {
        let Some(rate) = self.config.rate_limit.filter(|r| *r > 0.0 && r.is_finite()) else {
            return;
        };
        let interval = Duration::from_secs_f64(1.0 / rate);
        let wait = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = state.next_request.map_or(now, |n| n.max(now));
            state.next_request = Some(at + interval);
            at - now
        };
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
    }
}

fn transport(url: &str, e: ureq::Error, limit: u64) -> Attempt {
    match e {
        ureq::Error::BodyExceedsLimit(_) => Attempt::Fail(HttpError::TooLarge {
            url: url.to_string(),
            limit,
        }),
        ureq::Error::Timeout(_)
        | ureq::Error::Io(_)
        | ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_) => Attempt::Retry {
            message: e.to_string(),
            status: None,
            after: None,
        },
        other => Attempt::Fail(HttpError::Transport {
            url: url.to_string(),
            message: other.to_string(),
            attempts: 1,
        }),
    }
}

fn api_error(url: &str, status: u16, json: &Json, attempts: u32) -> Option<HttpError> {
    let error = json.get("error")?.as_str()?.to_string();
    let error_type = json
        .get("errorType")
        .and_then(Json::as_str)
        .unwrap_or("error")
        .to_string();
    Some(HttpError::Api {
        url: url.to_string(),
        status,
        error_type,
        error,
        attempts,
    })
}

fn invalid(url: &str, message: &str, body: &[u8]) -> HttpError {
    HttpError::Invalid {
        url: url.to_string(),
        message: message.to_string(),
        excerpt: excerpt(body),
    }
}

/// The start of a body, cut at a character boundary, for error messages.
fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES)]).into_owned();
    if body.len() > EXCERPT_BYTES {
        format!("{text}…")
    } else {
        text
    }
}

/// A time in ms as the API's seconds with three decimals.
fn api_time(ms: i64) -> String {
    let sign = if ms < 0 { "-" } else { "" };
    let abs = ms.unsigned_abs();
    format!("{sign}{}.{:03}", abs / 1000, abs % 1000)
}

/// The API's `data`: the value and the number of histogram samples left out.
fn parse_data(data: &Json) -> Result<(ApiData, usize), String> {
    let kind = data
        .get("resultType")
        .and_then(Json::as_str)
        .ok_or("no \"resultType\"")?;
    let result = data.get("result").ok_or("no \"result\"")?;
    let mut histograms = 0;
    let parsed = match kind {
        "vector" => {
            let mut out = Vec::new();
            for s in result.as_array().ok_or("a vector's result is not a list")? {
                let metric = labels(s.get("metric").unwrap_or(&Json::Null))
                    .ok_or("a sample's \"metric\" is not an object of string labels")?;
                match (s.get("value"), s.get("histogram")) {
                    (Some(v), None) => out.push((metric, point(v)?.1)),
                    (None, Some(_)) => histograms += 1,
                    _ => return Err("a sample needs one of \"value\" and \"histogram\"".into()),
                }
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            ApiData::Vector(out)
        }
        "scalar" => ApiData::Scalar(point(result)?.1),
        "matrix" => {
            let mut out = Vec::new();
            for s in result.as_array().ok_or("a matrix's result is not a list")? {
                let metric = labels(s.get("metric").unwrap_or(&Json::Null))
                    .ok_or("a series' \"metric\" is not an object of string labels")?;
                let mut points = Vec::new();
                if let Some(values) = s.get("values") {
                    for v in values
                        .as_array()
                        .ok_or("a series' \"values\" is not a list")?
                    {
                        points.push(point(v)?);
                    }
                }
                if let Some(h) = s.get("histograms").and_then(Json::as_array) {
                    histograms += h.len();
                }
                out.push((metric, points));
            }
            out.sort_by(|a, b| a.0.cmp(&b.0));
            ApiData::Matrix(out)
        }
        "string" => {
            let pair = result
                .as_array()
                .filter(|a| a.len() == 2)
                .ok_or("a string result is not [time, \"text\"]")?;
            ApiData::String(
                pair[1]
                    .as_str()
                    .ok_or("a string result's text is not a string")?
                    .to_string(),
            )
        }
        other => return Err(format!("unknown resultType {other:?}")),
    };
    Ok((parsed, histograms))
}

/// `[1700000000.123, "0.5"]` → (ms, value).
fn point(v: &Json) -> Result<(Timestamp, f64), String> {
    let pair = v
        .as_array()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| format!("a sample is not [time, \"value\"]: {v}"))?;
    let seconds = pair[0]
        .as_f64()
        .filter(|s| s.is_finite())
        .ok_or_else(|| format!("a sample's time is not a number: {}", pair[0]))?;
    let text = pair[1]
        .as_str()
        .ok_or_else(|| format!("a sample's value is not a string: {}", pair[1]))?;
    Ok(((seconds * 1000.0).round() as Timestamp, parse_value(text)?))
}

/// A sample value as the API writes it: Go's float formatting, `NaN`, `+Inf`, `-Inf`.
fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        // Rust would also read "inf", "infinity" and "nan" in any case; the API never writes
        // them, so they are errors like any other non-number.
        _ if text
            .bytes()
            .any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E') =>
        {
            Err(format!("a sample's value is not a number: {text:?}"))
        }
        _ => text
            .parse::<f64>()
            .map_err(|_| format!("a sample's value is not a number: {text:?}")),
    }
}

fn labels(m: &Json) -> Option<Labels> {
    let object = m.as_object()?;
    let mut pairs = Vec::with_capacity(object.len());
    for (k, v) in object {
        pairs.push((k.as_str(), v.as_str()?));
    }
    Some(Labels::from_pairs(pairs))
}

/// Standard base64 with padding (for basic authentication).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Source for HttpSource {
    fn instant(&self, expr: &Expr, t: Timestamp) -> Result<Vec<(Labels, f64)>, SourceError> {
        match self.query(&expr.to_string(), t)? {
            ApiData::Vector(v) => Ok(v),
            ApiData::Scalar(f) => Ok(vec![(Labels::empty(), f)]),
            other => Err(SourceError::new(format!(
                "{}/api/v1/query: a gate must give a vector or a scalar, not a {}",
                self.config.url,
                other.type_name()
            ))),
        }
    }

    fn range(
        &self,
        expr: &Expr,
        start: Timestamp,
        end: Timestamp,
        step: i64,
    ) -> Result<Vec<Vec<(Labels, f64)>>, SourceError> {
        let count = range_steps(start, end, step)?;
        let text = expr.to_string();
        let mut out: Vec<Vec<(Labels, f64)>> = vec![Vec::new(); count as usize];
        let mut first = 0;
        while first < count {
            let last = (first + MAX_POINTS_PER_QUERY - 1).min(count - 1);
            let (from, to) = (start + first * step, start + last * step);
            let series = match self.query_range(&text, from, to, step)? {
                ApiData::Matrix(m) => m,
                other => {
                    return Err(SourceError::new(format!(
                        "{}/api/v1/query_range: expected a matrix, got a {}",
                        self.config.url,
                        other.type_name()
                    )));
                }
            };
            for (labels, points) in series {
                for (t, v) in points {
                    if t < from || t > to || (t - start) % step != 0 {
                        return Err(SourceError::new(format!(
                            "{}/api/v1/query_range: a point at {t} ms is off the requested steps",
                            self.config.url
                        )));
                    }
                    out[((t - start) / step) as usize].push((labels.clone(), v));
                }
            }
            first = last + 1;
        }
        for step_samples in &mut out {
            step_samples.sort_by(|a, b| a.0.cmp(&b.0));
        }
        Ok(out)
    }

    fn take_warnings(&self) -> Vec<String> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        std::mem::take(&mut state.warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_as_the_api_writes_them() {
        assert_eq!(parse_value("+Inf"), Ok(f64::INFINITY));
        assert_eq!(parse_value("-Inf"), Ok(f64::NEG_INFINITY));
        assert!(parse_value("NaN").unwrap().is_nan());
        assert_eq!(parse_value("1e-05"), Ok(1e-5));
        assert_eq!(parse_value("-0.25"), Ok(-0.25));
        assert!(parse_value("infinity").is_err());
        assert!(parse_value("nan").is_err());
        assert!(parse_value("").is_err());
        assert!(parse_value("1,5").is_err());
    }

    #[test]
    fn times_in_seconds_with_milliseconds() {
        assert_eq!(api_time(1_700_000_000_123), "1700000000.123");
        assert_eq!(api_time(10_000), "10.000");
        assert_eq!(api_time(-1_500), "-1.500");
        let p = point(&serde_json::json!([1700000000.123, "1"])).unwrap();
        assert_eq!(p.0, 1_700_000_000_123);
    }

    #[test]
    fn base64_of_basic_credentials() {
        assert_eq!(base64(b"user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b""), "");
    }

    #[test]
    fn data_of_each_result_type() {
        let v = serde_json::json!({"resultType": "vector", "result": [
            {"metric": {"b": "2"}, "value": [1, "NaN"]},
            {"metric": {"a": "1"}, "value": [1, "3"]},
            {"metric": {}, "histogram": [1, {"count": "1"}]}]});
        let (data, histograms) = parse_data(&v).unwrap();
        assert_eq!(histograms, 1);
        let ApiData::Vector(samples) = data else {
            panic!("{data:?}")
        };
        assert_eq!(samples[0], (Labels::from_pairs([("a", "1")]), 3.0));
        assert!(samples[1].1.is_nan());
        let m = serde_json::json!({"resultType": "matrix", "result": [{"metric": {}, "values": [[0, "1"], [10, "2"]]}]});
        assert_eq!(
            parse_data(&m).unwrap().0,
            ApiData::Matrix(vec![(Labels::empty(), vec![(0, 1.0), (10_000, 2.0)])])
        );
        for bad in [
            serde_json::json!({"resultType": "vector", "result": {}}),
            serde_json::json!({"resultType": "vector", "result": [{"metric": {"a": 1}, "value": [0, "1"]}]}),
            serde_json::json!({"resultType": "vector", "result": [{"metric": {}, "value": [0, 1]}]}),
            serde_json::json!({"resultType": "vector", "result": [{"metric": {}, "value": ["x", "1"]}]}),
            serde_json::json!({"resultType": "scalar", "result": [0]}),
            serde_json::json!({"resultType": "bogus", "result": []}),
            serde_json::json!({"result": []}),
        ] {
            assert!(parse_data(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "é".repeat(300);
        let e = excerpt(long.as_bytes());
        assert!(e.len() < 220 && e.ends_with('…'));
    }
}
