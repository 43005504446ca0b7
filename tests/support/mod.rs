//! Test helpers shared by integration tests: the AWS emulator (tests/emulator) as a per-binary
//! fixture, with a fresh account per test so tests run in parallel without seeing each other.

// Each test binary compiles this module and uses a different subset of it.
#![allow(dead_code)]

pub mod plugin;
pub mod stacks;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use tokio::sync::watch;

/// A running emulator. It exits when this test binary does (its stdin closes).
pub struct Emulator {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    _child: Mutex<(Child, ChildStdin)>,
}

fn python() -> PathBuf {
    if let Ok(p) = std::env::var("EC2FLEET_PYTHON") {
        return p.into();
    }
    let cache = std::env::var("EC2FLEET_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").expect("HOME")).join(".cache/ec2fleet")
        });
    let py = cache.join("venv/bin/python");
    assert!(
        py.exists(),
        "{} is missing: run `make setup` (scripts/setup.sh) first",
        py.display()
    );
    py
}

/// The emulator for this test binary, started on first use.
pub fn emulator() -> &'static Emulator {
    static EMU: OnceLock<Emulator> = OnceLock::new();
    EMU.get_or_init(|| {
        // At run time first: a test binary built from another checkout that shares the target dir
        // would otherwise look for the emulator in that checkout.
        let root = std::env::var("CARGO_MANIFEST_DIR").unwrap_or(env!("CARGO_MANIFEST_DIR").into());
        let dir = PathBuf::from(root).join("tests/emulator");
        let mut child = Command::new(python())
            .args([
                "-m",
                "ec2fleet_emulator",
                "--port",
                "0",
                "--exit-with-stdin",
            ])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .expect("emulator port");
        let port: u16 = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("emulator printed {line:?}, not a port"));
        let stdin = child.stdin.take().unwrap();
        Emulator {
            url: format!("http://127.0.0.1:{port}"),
            _child: Mutex::new((child, stdin)),
        }
    })
}

/// AWS clients for `account`, every service pointed at the emulator.
pub async fn clients(account: &str) -> ec2fleet::aws::Clients {
    let cfg = ec2fleet::config::ProviderConfig {
        access_key: Some(account.into()),
        secret_key: Some("x".into()),
        endpoints: ec2fleet::config::SERVICES
            .iter()
            .map(|s| (s.to_string(), emulator().url.clone()))
            .collect(),
        ..Default::default()
    };
    ec2fleet::aws::Clients::new(&cfg, "us-east-1").await
}

/// One fleet's worth of test setup: a fresh account, clients bound to it, checked inputs.
pub struct Fleet {
    /// The account the test's objects live in.
    pub account: String,
    /// Clients for that account.
    pub aws: ec2fleet::aws::Clients,
    /// The fleet's inputs.
    pub args: ec2fleet::fleet::FleetArgs,
    /// The fleet's name prefix.
    pub prefix: String,
    /// The tags every object of the fleet carries besides its identity (the inputs' `tags`; no
    /// provider defaults).
    pub fleet_tags: std::collections::BTreeMap<String, String>,
    /// The waits' deadline (two minutes) and a reporter that reports nothing.
    pub waits: ec2fleet::aws::Waits,
    /// The provider's defaultTags (none).
    pub default_tags: std::collections::BTreeMap<String, String>,
}

impl Fleet {
    /// A fleet named `prefix` with these inputs (JSON as a program would give them).
    pub async fn new(prefix: &str, inputs: serde_json::Value) -> Self {
        Self::in_account(&fresh_account(), prefix, inputs).await
    }

    /// The same, in an account the test already set up.
    pub async fn in_account(account: &str, prefix: &str, inputs: serde_json::Value) -> Self {
        let account = account.to_string();
        let aws = clients(&account).await;
        let args: ec2fleet::fleet::FleetArgs =
            ec2fleet::fleet::parse(inputs).expect("test inputs must be valid");
        Self {
            account,
            aws,
            fleet_tags: args.tags.clone(),
            default_tags: Default::default(),
            args,
            prefix: prefix.into(),
            waits: ec2fleet::aws::Waits::quiet(std::time::Duration::from_secs(120)),
        }
    }

    /// The context one sub-resource (`node`, like `"Vpc"`) works in.
    pub fn cx(&self, node: &'static str) -> ec2fleet::resources::Ctx<'_> {
        ec2fleet::resources::Ctx {
            aws: &self.aws,
            waits: &self.waits,
            prefix: &self.prefix,
            node,
            fleet_tags: &self.fleet_tags,
        }
    }

    /// The context the fleet's operations take; `secret` is the CloudFront origin secret.
    pub fn fleet<'a>(&'a self, secret: Option<&'a str>) -> ec2fleet::fleet::FleetCtx<'a> {
        ec2fleet::fleet::FleetCtx::new(
            &self.aws,
            &self.waits,
            &self.args,
            &self.prefix,
            &self.default_tags,
            secret,
        )
    }

    /// The instances of the fleet's Auto Scaling group (in `records`), ordered by ID.
    pub async fn group_instances(
        &self,
        records: &ec2fleet::fleet::Records,
    ) -> Vec<aws_sdk_ec2::types::Instance> {
        let group = &records.auto_scaling_group.as_ref().unwrap().name;
        group_instances(&self.aws, group).await
    }

    /// Panics if anything is left in the fleet's account.
    pub fn assert_no_leaks(&self) {
        emulator().assert_no_leaks(&self.account);
    }
}

/// A fresh 12-digit account ID: the emulator reads it from the access key ID.
pub fn fresh_account() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    format!("{:06}{:06}", std::process::id() % 1_000_000, n)
}

/// A progress reporter that reports nothing, for the fleet's operations.
pub fn quiet(_: ec2fleet::fleet::Node, _: usize, _: usize) {}

/// A cancel signal that never fires: its sender lives as long as the test binary.
pub fn never_cancelled() -> watch::Receiver<bool> {
    static NEVER: OnceLock<watch::Sender<bool>> = OnceLock::new();
    NEVER.get_or_init(|| watch::channel(false).0).subscribe()
}

/// The highest sequence number in `account`'s call log so far.
pub fn last_seq(account: &str) -> u64 {
    let calls = emulator().calls(account);
    calls
        .iter()
        .filter_map(|c| c["seq"].as_u64())
        .max()
        .unwrap_or(0)
}

/// The calls `account` made after call `since`, as `service:Operation`.
pub fn calls_since(account: &str, since: u64) -> Vec<String> {
    emulator()
        .calls(account)
        .iter()
        .filter(|c| c["seq"].as_u64() > Some(since))
        .map(|c| {
            format!(
                "{}:{}",
                c["service"].as_str().unwrap_or(""),
                c["operation"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// How many of `account`'s calls after `since` were `service:Operation` (like `s3:PutObject`).
pub fn count_since(account: &str, since: u64, call: &str) -> usize {
    calls_since(account, since)
        .iter()
        .filter(|c| *c == call)
        .count()
}

/// A create or update of every node of `f` from `have` (boxed: a test's future lives on its
/// thread's stack).
pub async fn up(
    f: &Fleet,
    have: ec2fleet::fleet::Records,
) -> Result<ec2fleet::fleet::Records, ec2fleet::fleet::apply::Incomplete> {
    let how = ec2fleet::fleet::converge::How::default();
    let fleet = f.fleet(None);
    Box::pin(ec2fleet::fleet::converge::converge(
        &fleet,
        have,
        how,
        never_cancelled(),
        (&quiet, &quiet),
    ))
    .await
}

/// The Auto Scaling group `name`, as AWS describes it.
pub async fn describe_group(
    aws: &ec2fleet::aws::Clients,
    name: &str,
) -> aws_sdk_autoscaling::types::AutoScalingGroup {
    let out = aws
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .unwrap();
    out.auto_scaling_groups()[0].clone()
}

/// The target group `arn`'s deregistration delay (seconds), as AWS has it.
pub async fn drain_time(aws: &ec2fleet::aws::Clients, arn: &str) -> Option<String> {
    let attrs = aws
        .elbv2
        .describe_target_group_attributes()
        .target_group_arn(arn)
        .send()
        .await
        .unwrap();
    attrs
        .attributes()
        .iter()
        .find(|a| a.key() == Some("deregistration_delay.timeout_seconds"))
        .and_then(|a| a.value())
        .map(str::to_string)
}

/// The instances of the Auto Scaling group `group`, as EC2 describes them, ordered by ID.
pub async fn group_instances(
    aws: &ec2fleet::aws::Clients,
    group: &str,
) -> Vec<aws_sdk_ec2::types::Instance> {
    let ids: Vec<String> = describe_group(aws, group)
        .await
        .instances()
        .iter()
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    if ids.is_empty() {
        // No IDs would describe every instance of the account.
        return vec![];
    }
    let out = aws
        .ec2
        .describe_instances()
        .set_instance_ids(Some(ids))
        .send()
        .await
        .unwrap();
    let mut instances: Vec<_> = out
        .reservations()
        .iter()
        .flat_map(|r| r.instances())
        .cloned()
        .collect();
    instances.sort_by(|a, b| a.instance_id().cmp(&b.instance_id()));
    instances
}

impl Emulator {
    /// One HTTP/1.0 request to the emulator: `headers` go after Host, and a body comes with its
    /// Content-Length. The answer is read to its end.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let addr = self.url.trim_start_matches("http://");
        let mut req = format!("{method} {path} HTTP/1.0\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            req.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or_default());
        let mut s = TcpStream::connect(addr).expect("connect to the emulator");
        s.write_all(req.as_bytes()).unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        Reply { text }
    }

    /// GET a control endpoint (`/_ec2fleet/...`) and parse its JSON.
    pub fn control(&self, path: &str) -> serde_json::Value {
        self.request("GET", &format!("/_ec2fleet{path}"), &[], None)
            .json(path)
    }

    /// POST JSON to a control endpoint (`/_ec2fleet/...`) and parse the answer.
    pub fn control_post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let reply = self.request(
            "POST",
            &format!("/_ec2fleet{path}"),
            &[("Content-Type", "application/json")],
            Some(&body.to_string()),
        );
        assert!(reply.ok(), "{path}: {}", reply.text);
        reply.json(path)
    }

    /// A raw AWS JSON-protocol call (for services the provider has no SDK client for, like ACM), in
    /// `account`'s name: `target` is the X-Amz-Target, `scope` the signing name.
    pub fn aws_json(
        &self,
        account: &str,
        scope: &str,
        target: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={account}/20260101/us-east-1/{scope}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let headers = [
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", target),
            ("Authorization", auth.as_str()),
        ];
        self.request("POST", "/", &headers, Some(&body.to_string()))
            .json(target)
    }

    /// Panics with the leak report if `account` still has any object a fleet can make.
    pub fn assert_no_leaks(&self, account: &str) {
        let report = self.control(&format!("/leaks?account={account}&region=us-east-1"));
        assert_eq!(report["count"], 0, "leaked: {report}");
        assert_eq!(
            report["errors"],
            serde_json::json!({}),
            "leak checker errors: {report}"
        );
    }

    /// The calls the emulator served for `account`.
    pub fn calls(&self, account: &str) -> Vec<serde_json::Value> {
        let v = self.control(&format!("/calls?account={account}"));
        v.as_array()
            .cloned()
            .unwrap_or_else(|| panic!("call log is not a list: {v}"))
    }
}

/// The emulator's whole answer to one request.
struct Reply {
    text: String,
}

impl Reply {
    /// Whether the status is 200.
    fn ok(&self) -> bool {
        self.text.starts_with("HTTP/1.0 200") || self.text.starts_with("HTTP/1.1 200")
    }

    /// What follows the headers; nothing if there are none.
    fn body(&self) -> &str {
        self.text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b)
            .unwrap_or("")
    }

    /// The body as JSON; `what` names the request if it is not.
    fn json(&self, what: &str) -> serde_json::Value {
        serde_json::from_str(self.body()).unwrap_or_else(|e| panic!("{what}: {e}: {}", self.text))
    }
}

/// A minimal CodeDeploy app in `dir`: an appspec whose ApplicationStart runs an executable
/// scripts/start.sh, and `server` as server.js.
pub fn write_app(dir: &std::path::Path, server: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("scripts")).unwrap();
    std::fs::write(
        dir.join("appspec.yml"),
        "version: 0.0\nos: linux\nfiles:\n  - source: /\n    destination: /opt/app\nhooks:\n  ApplicationStart:\n    - location: scripts/start.sh\n      timeout: 60\n",
    )
    .unwrap();
    let start = dir.join("scripts/start.sh");
    std::fs::write(&start, "#!/bin/sh\nexec node server.js\n").unwrap();
    std::fs::set_permissions(&start, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(dir.join("server.js"), server).unwrap();
}
