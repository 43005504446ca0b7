//! The client-side request rates, against a local endpoint that answers at once (so only our own
//! metering can slow the calls): a burst of Route 53 calls far past AWS's published rate (a bucket
//! of 50 for the account, refilled at 10 a second) from clones of one set of clients, as the
//! fleets of one provider process hold them, goes out at that rate and no faster.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const EMPTY_LIST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ListHostedZonesResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><HostedZones/><IsTruncated>false</IsTruncated><MaxItems>100</MaxItems></ListHostedZonesResponse>"#;

/// Serves every request with an empty ListHostedZones answer; returns its URL and the arrival
/// times.
async fn instant_route53() -> (String, Arc<Mutex<Vec<Instant>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let seen = arrivals.clone();
    tokio::spawn(async move {
        loop {
            let (mut conn, _) = listener.accept().await.unwrap();
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = conn.read(&mut buf).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    got.extend_from_slice(&buf[..n]);
                }
                seen.lock().unwrap().push(Instant::now());
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{EMPTY_LIST}",
                    EMPTY_LIST.len()
                );
                let _ = conn.write_all(reply.as_bytes()).await;
            });
        }
    });
    (url, arrivals)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_past_the_published_rate_goes_out_at_that_rate() {
    let (url, arrivals) = instant_route53().await;
    let cfg = ec2fleet::config::ProviderConfig {
        access_key: Some("123456789012".into()),
        secret_key: Some("x".into()),
        endpoints: [("route53".to_string(), url)].into(),
        max_retries: Some(1),
        ..Default::default()
    };
    let aws = ec2fleet::aws::Clients::new(&cfg, "us-east-1").await;
    let started = Instant::now();
    let calls = (0..80).map(|_| {
        let fleet = aws.clone();
        async move { fleet.route53.list_hosted_zones().send().await.map(drop) }
    });
    let results = futures::future::join_all(calls).await;
    assert!(
        results.iter().all(Result::is_ok),
        "{:?}",
        results.iter().find(|r| r.is_err())
    );
    let mut arrivals = arrivals.lock().unwrap().clone();
    arrivals.sort();
    assert_eq!(arrivals.len(), 80);
    let at = |i: usize| arrivals[i].duration_since(started);
    // The bucket's 50 at once, then the other 30 at 10 a second.
    assert!(
        at(49) < Duration::from_millis(1000),
        "the burst took {:?}",
        at(49)
    );
    let last = at(79).as_secs_f64();
    assert!((2.8..4.5).contains(&last), "80 calls took {last:.2} s");
}
