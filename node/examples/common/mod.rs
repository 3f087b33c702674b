//! What the load harnesses share: the permit they issue, their HTTP agent, percentiles.

// Each harness uses some of these.
#![allow(dead_code)]

use std::time::Duration;

use serde_json::Value;

/// The example export permit with number `number`, issued today, valid six months.
pub fn permit(number: &str) -> Value {
    static TEMPLATE: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let path = format!(
            "{}/../contracts/tests/fixtures/valid/export_permit.json",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    });
    let mut p = template.clone();
    let today = chrono::Utc::now().date_naive();
    p["number"] = number.into();
    p["issued"]["date"] = today.to_string().into();
    p["valid_until"] = (today + chrono::Months::new(6) - chrono::Days::new(1))
        .to_string()
        .into();
    p
}

/// The `p` quantile of sorted latencies.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[(((sorted.len() - 1) as f64) * p).round() as usize]
}

/// The status of an answer, its body read to the end: an answer dropped unread closes its
/// connection, and a harness that opens one per request measures TCP set-up, not the node.
pub fn status_of(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Option<u16> {
    let mut r = r.ok()?;
    r.body_mut().read_to_vec().ok()?;
    Some(r.status().as_u16())
}

/// An agent that hands back every status and gives up after 30 s.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One simulated client's kept-alive HTTP/1.1 connection, for the timed part of a harness:
/// every client is a task on one thread with a connection of its own, as a client on another
/// machine would have. Thirty-two `ureq` threads took a fifth of the machine's CPU away from the
/// node they were measuring, and a shared pooled client 55-64 µs of CPU a request
/// (BENCHMARKS.md).
pub struct Connection {
    authority: String,
    send: Option<hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>>,
}

impl Connection {
    /// A connection to the host and port of `url`, opened on first use (and again after the
    /// node closed it).
    pub fn new(url: &hyper::Uri) -> Connection {
        Connection {
            authority: url.authority().map(|a| a.to_string()).unwrap_or_default(),
            send: None,
        }
    }

    async fn open(&mut self) -> Option<()> {
        let stream = tokio::net::TcpStream::connect(&self.authority).await.ok()?;
        stream.set_nodelay(true).ok()?;
        let (send, connection) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
                .await
                .ok()?;
        tokio::spawn(connection);
        self.send = Some(send);
        Some(())
    }

    /// POSTs a JSON `body` (with the bearer `token`, if any) to `url`'s path and reads the whole
    /// answer: its status and body, or `None` if it failed or took more than 30 s.
    pub async fn post(
        &mut self,
        url: &hyper::Uri,
        token: Option<&str>,
        body: hyper::body::Bytes,
    ) -> Option<(u16, hyper::body::Bytes)> {
        use http_body_util::BodyExt as _;
        if self.send.as_ref().is_none_or(|s| s.is_closed()) {
            self.open().await?;
        }
        let mut request = hyper::Request::post(url.path())
            .header("host", &self.authority)
            .header("content-type", "application/json");
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let request = request.body(http_body_util::Full::new(body)).ok()?;
        let send = self.send.as_mut()?;
        let answer = async {
            send.ready().await.ok()?;
            let response = send.send_request(request).await.ok()?;
            let status = response.status().as_u16();
            let body = response.into_body().collect().await.ok()?.to_bytes();
            Some((status, body))
        };
        let answer = tokio::time::timeout(Duration::from_secs(30), answer)
            .await
            .ok()
            .flatten();
        if answer.is_none() {
            // Whatever state the connection is in, the next request starts on a new one.
            self.send = None;
        }
        answer
    }
}

/// User and system CPU time of this process so far, every thread counted (`/proc/self/stat`,
/// in the kernel's USER_HZ ticks, 100 a second on Linux).
pub fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime: fields 14 and 15 of the line, 11 and 12 (from 0) after the name.
    (ticks(11) + ticks(12)) / 100.0
}
