//! The node's front door: accepts connections, does the TLS handshake when the node has a
//! certificate, and bounds what one client can hold (see [`Limits`]), so that a slow,
//! flooding or malformed client costs others nothing but a place in the queue.
//!
//! `axum::serve` has no header timeout, connection cap or TLS, hence this loop over hyper.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt;

use crate::config::Limits;
use crate::shares::Shares;
use crate::tls::ClientCertificate;

/// Serves `app` on `listener` until `shutdown` turns true, then lets the requests in flight
/// finish (for at most ten seconds).
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let front = Arc::new(Front {
        app,
        https: tls.is_some(),
        buckets: Buckets::new(limits.requests_per_minute),
        held: Shares::new(limits.max_connections_per_address),
        limits,
    });
    loop {
        // Beyond the cap, new clients wait in the kernel's accept queue.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = stopping(&mut shutdown) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors or similar: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = stopping(&mut shutdown) => break,
        };
        // Charged before the TLS handshake, which is the expensive part of a connection.
        let held = if front.limits.counts(peer.ip()) {
            match Shares::take(&front.held, client_of(peer.ip())) {
                Some(slot) => Some(slot),
                None => {
                    tracing::info!(%peer, "connection closed: too many from this address");
                    continue;
                }
            }
        } else {
            None
        };
        let _ = stream.set_nodelay(true);
        let front = front.clone();
        let tls = tls.clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            // Declared first, so dropped last: the slot comes back after the state.
            let _permit = permit;
            let (_held, front, tls, stream) = (held, front, tls, stream);
            let handshake = Duration::from_secs(front.limits.header_timeout_s);
            match tls {
                None => front.connection(stream, peer, None, watcher).await,
                Some(acceptor) => {
                    match tokio::time::timeout(handshake, acceptor.accept(stream)).await {
                        Ok(Ok(stream)) => {
                            // Verified by the acceptor when it asks for one (EPIX).
                            let client = stream.get_ref().1.peer_certificates().and_then(|chain| {
                                let (leaf, rest) = chain.split_first()?;
                                Some(ClientCertificate(
                                    leaf.to_vec(),
                                    rest.iter().map(|c| c.to_vec()).collect(),
                                ))
                            });
                            front.connection(stream, peer, client, watcher).await
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
        });
    }
    drop(listener);
    let connections = u32::try_from(front.limits.max_connections).unwrap_or(u32::MAX);
    drop(front);
    // Every connection task gives its slot back after it dropped its share of the node's
    // state, so once all slots are back the caller may close the store (and reopen it).
    let stopped = async {
        graceful.shutdown().await;
        let _ = slots.acquire_many(connections).await;
    };
    if tokio::time::timeout(Duration::from_secs(10), stopped)
        .await
        .is_err()
    {
        tracing::warn!("requests still running after 10 s; stopping anyway");
    }
    Ok(())
}

async fn stopping(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

struct Front {
    app: Router,
    https: bool,
    limits: Limits,
    buckets: Buckets,
    /// Connections held per client address.
    held: Arc<Shares<IpAddr>>,
}

impl Front {
    async fn connection<S>(
        self: Arc<Self>,
        stream: S,
        peer: SocketAddr,
        client: Option<ClientCertificate>,
        watcher: hyper_util::server::graceful::Watcher,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let front = self.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let front = front.clone();
            if let Some(c) = &client {
                req.extensions_mut().insert(c.clone());
            }
            async move { Ok::<_, Infallible>(front.request(req, peer).await) }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(self.limits.header_timeout_s));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        if let Err(e) = watcher.watch(connection).await {
            tracing::debug!(%peer, error = %e, "connection ended with an error");
        }
    }

    async fn request(&self, mut req: Request<Incoming>, peer: SocketAddr) -> Response<Body> {
        if self.limits.counts(peer.ip()) && !self.buckets.take(peer.ip()) {
            tracing::info!(%peer, path = %req.uri().path(), "rate limit: request refused");
            return refusal(
                StatusCode::TOO_MANY_REQUESTS,
                "too many requests from your address; try again in a minute",
                Some(60),
            );
        }
        req.extensions_mut().insert(ConnectInfo(peer));
        let limit = Duration::from_secs(self.limits.request_timeout_s);
        let answer = self.app.clone().oneshot(req.map(Body::new));
        match tokio::time::timeout(limit, answer).await {
            Ok(Ok(mut response)) => {
                if self.https {
                    // A year; browsers then refuse a downgrade to cleartext for this host.
                    response.headers_mut().insert(
                        header::STRICT_TRANSPORT_SECURITY,
                        HeaderValue::from_static("max-age=31536000"),
                    );
                }
                response
            }
            Ok(Err(never)) => match never {},
            Err(_) => {
                tracing::warn!(%peer, "request took longer than {} s; ended", limit.as_secs());
                refusal(
                    StatusCode::REQUEST_TIMEOUT,
                    "the request took too long; send it again",
                    None,
                )
            }
        }
    }
}

fn refusal(status: StatusCode, message: &str, retry_after: Option<u64>) -> Response<Body> {
    let body = serde_json::json!({ "error": message }).to_string();
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(s) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// One token bucket per client address: `per_minute` tokens a minute, at most a tenth of
/// that (and at least ten) saved up.
struct Buckets {
    per_second: f64,
    burst: f64,
    buckets: Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

/// Addresses kept before full buckets (clients that have been quiet) are forgotten.
const MAX_TRACKED: usize = 100_000;

impl Buckets {
    fn new(per_minute: u32) -> Buckets {
        Buckets {
            per_second: f64::from(per_minute) / 60.0,
            burst: (f64::from(per_minute) / 10.0).max(10.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn take(&self, ip: IpAddr) -> bool {
        if self.per_second == 0.0 {
            return true;
        }
        let now = Instant::now();
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if buckets.len() >= MAX_TRACKED {
            let (rate, burst) = (self.per_second, self.burst);
            buckets.retain(|_, (tokens, at)| {
                *tokens + now.duration_since(*at).as_secs_f64() * rate < burst
            });
        }
        let (tokens, at) = buckets.entry(client_of(ip)).or_insert((self.burst, now));
        *tokens =
            (*tokens + now.duration_since(*at).as_secs_f64() * self.per_second).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The address a client is counted by: an IPv6 client holds a whole /64, so that is one
/// client; an IPv4-mapped address is its IPv4 address.
fn client_of(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_waits_while_others_are_served() {
        let buckets = Buckets::new(600);
        let (a, b): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
        let served = (0..200).filter(|_| buckets.take(a)).count();
        // The burst is 60; the refill over the loop's few microseconds adds nothing whole.
        assert_eq!(served, 60);
        assert!(buckets.take(b), "another address has its own bucket");
        assert!(Buckets::new(0).take(a), "0 means no limit");
        // Addresses of one IPv6 /64 share a bucket.
        let v6 = Buckets::new(600);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let served = (0..200u16)
            .filter(|i| {
                v6.take(IpAddr::V6(std::net::Ipv6Addr::new(
                    0x2001, 0xdb8, 1, 2, 0, 0, 0, *i,
                )))
            })
            .count();
        assert_eq!(served, 60);
        assert!(!v6.take(first));
    }

    #[test]
    fn the_addresses_of_one_ipv6_64_hold_connections_as_one_client() {
        let held = Shares::new(2);
        let v6 = |i| {
            client_of(IpAddr::V6(std::net::Ipv6Addr::new(
                0x2001, 0xdb8, 0, 1, 0, 0, 0, i,
            )))
        };
        let _two = (
            Shares::take(&held, v6(1)).unwrap(),
            Shares::take(&held, v6(2)).unwrap(),
        );
        assert!(Shares::take(&held, v6(3)).is_none());
        let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
        assert_eq!(client_of(mapped), IpAddr::from([10, 0, 0, 1]));
    }
}
