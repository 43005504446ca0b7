//! `--tracing`: a span for every RPC, sent to the engine's trace collector so `pulumi --tracing
//! file:up.trace` shows the provider's work inside the engine's trace.
//!
//! The engine hands plugins `tcp://HOST:PORT`, an appdash collector: length-delimited protobuf
//! `CollectPacket`s (proto2 groups, so encoded by hand here) carrying the span IDs and annotations. The
//! engine's span context arrives in gRPC metadata as basictracer's `ot-tracer-traceid`/`-spanid` (hex);
//! our span becomes its child.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::task::{Context, Poll};
use std::time::SystemTime;

use futures::future::BoxFuture;
use tokio::io::AsyncWriteExt;
use tokio::sync::mpsc;

/// One finished span.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// The trace it belongs to.
    pub trace: u64,
    /// Its own ID.
    pub id: u64,
    /// The engine span it runs under, if the engine sent one.
    pub parent: Option<u64>,
    /// What it was: the gRPC method path.
    pub name: String,
    /// When it started.
    pub start: SystemTime,
    /// When it ended.
    pub end: SystemTime,
}

/// Where spans go.
#[derive(Clone, Debug)]
pub struct Collector {
    tx: mpsc::UnboundedSender<Span>,
}

/// Why a `--tracing` value cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("--tracing {0:?} is not supported: expected the engine's appdash collector address tcp://HOST:PORT")]
pub struct UnsupportedEndpoint(pub String);

impl Collector {
    /// Starts sending spans to the collector at `endpoint` (`tcp://host:port`). Sending is best-effort:
    /// a collector that goes away costs spans, never an RPC.
    pub fn connect(endpoint: &str) -> Result<Self, UnsupportedEndpoint> {
        let addr = endpoint
            .strip_prefix("tcp://")
            .filter(|a| a.contains(':'))
            .ok_or_else(|| UnsupportedEndpoint(endpoint.into()))?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Span>();
        let addr = addr.to_string();
        tokio::spawn(async move {
            let mut conn = None;
            while let Some(span) = rx.recv().await {
                if conn.is_none() {
                    conn = tokio::net::TcpStream::connect(&addr)
                        .await
                        .map_err(|e| tracing::debug!(error = %e, "trace collector unreachable"))
                        .ok();
                }
                if let Some(c) = conn.as_mut() {
                    if c.write_all(&delimited(&encode(&span))).await.is_err() {
                        conn = None;
                    }
                }
            }
        });
        Ok(Self { tx })
    }

    fn send(&self, span: Span) {
        let _ = self.tx.send(span);
    }
}

fn random_id() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish() | 1
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_bytes(out: &mut Vec<u8>, field: u64, b: &[u8]) {
    put_varint(out, field << 3 | 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn put_fixed64(out: &mut Vec<u8>, field: u64, v: u64) {
    put_varint(out, field << 3 | 1);
    out.extend_from_slice(&v.to_le_bytes());
}

/// RFC 3339 with nanoseconds, UTC, as appdash writes times.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
    let (secs, nanos) = (d.as_secs() as i64, d.subsec_nanos());
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{nanos:09}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The annotations appdash's tracer records for a finished span: its name and its timespan.
pub fn annotations(span: &Span) -> Vec<(&'static str, String)> {
    vec![
        ("Name", span.name.clone()),
        ("_schema:name", String::new()),
        ("Span.Start", rfc3339(span.start)),
        ("Span.End", rfc3339(span.end)),
        ("_schema:Timespan", String::new()),
    ]
}

/// Encodes a span as appdash's `CollectPacket` (groups: SpanID = 1 {trace 2, span 3, parent 4},
/// Annotation = 5 {key 6, value 7}).
pub fn encode(span: &Span) -> Vec<u8> {
    let mut out = Vec::new();
    put_varint(&mut out, 1 << 3 | 3);
    put_fixed64(&mut out, 2, span.trace);
    put_fixed64(&mut out, 3, span.id);
    if let Some(p) = span.parent {
        put_fixed64(&mut out, 4, p);
    }
    put_varint(&mut out, 1 << 3 | 4);
    for (k, v) in annotations(span) {
        put_varint(&mut out, 5 << 3 | 3);
        put_bytes(&mut out, 6, k.as_bytes());
        put_bytes(&mut out, 7, v.as_bytes());
        put_varint(&mut out, 5 << 3 | 4);
    }
    out
}

/// A message with its varint length in front, as appdash's delimited writer frames it.
fn delimited(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(msg.len() + 5);
    put_varint(&mut out, msg.len() as u64);
    out.extend_from_slice(msg);
    out
}

/// The engine's span context from request headers, if it sent one.
fn parent_context(headers: &http::HeaderMap) -> Option<(u64, u64)> {
    let hex = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| u64::from_str_radix(v, 16).ok())
    };
    Some((hex("ot-tracer-traceid")?, hex("ot-tracer-spanid")?))
}

/// A tower layer that records a span per request.
#[derive(Clone, Debug)]
pub struct TraceLayer(pub Option<Collector>);

impl<S> tower::Layer<S> for TraceLayer {
    type Service = TraceService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        TraceService {
            inner,
            collector: self.0.clone(),
        }
    }
}

/// The service [`TraceLayer`] wraps around the provider.
#[derive(Clone, Debug)]
pub struct TraceService<S> {
    inner: S,
    collector: Option<Collector>,
}

impl<S, B> tower::Service<http::Request<B>> for TraceService<S>
where
    S: tower::Service<http::Request<B>> + Send,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let Some(collector) = self.collector.clone() else {
            return Box::pin(self.inner.call(req));
        };
        let name = req.uri().path().to_string();
        let (trace, parent) = match parent_context(req.headers()) {
            Some((t, p)) => (t, Some(p)),
            None => (random_id(), None),
        };
        let start = SystemTime::now();
        let fut = self.inner.call(req);
        Box::pin(async move {
            let result = fut.await;
            collector.send(Span {
                trace,
                id: random_id(),
                parent,
                name,
                start,
                end: SystemTime::now(),
            });
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_nanoseconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::new(1_795_000_000, 123_456_789);
        assert_eq!(rfc3339(t), "2026-11-18T11:06:40.123456789Z");
        assert_eq!(
            rfc3339(SystemTime::UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000000000Z"
        );
    }

    #[test]
    fn packets_use_appdash_group_encoding() {
        let span = Span {
            trace: 1,
            id: 2,
            parent: None,
            name: "x".into(),
            start: SystemTime::UNIX_EPOCH,
            end: SystemTime::UNIX_EPOCH,
        };
        let p = encode(&span);
        // SpanID group: start tag 0x0b, trace (field 2, fixed64) 0x11, span (field 3) 0x19, end 0x0c.
        assert_eq!(
            &p[..20],
            &[0x0b, 0x11, 1, 0, 0, 0, 0, 0, 0, 0, 0x19, 2, 0, 0, 0, 0, 0, 0, 0, 0x0c]
        );
        // First annotation group: start 0x2b, key "Name", value "x", end 0x2c.
        assert_eq!(
            &p[20..31],
            &[0x2b, 0x32, 4, b'N', b'a', b'm', b'e', 0x3a, 1, b'x', 0x2c]
        );
    }

    #[test]
    fn only_the_appdash_endpoint_is_accepted() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            assert!(Collector::connect("tcp://127.0.0.1:1").is_ok());
            assert!(Collector::connect("http://zipkin:9411/api/v1/spans").is_err());
        });
    }
}
