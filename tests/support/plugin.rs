//! The provider binary driven the way the engine drives it: started with the engine's address, its
//! port read from stdout, called through a real gRPC client, while a fake Engine records its logs.

use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ec2fleet::proto::pulumirpc::{
    self as rpc,
    engine_server::{Engine, EngineServer},
    resource_provider_client::ResourceProviderClient,
};
use ec2fleet::server::props::{encode_struct, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

pub const URN: &str = "urn:pulumi:dev::proj::ec2fleet:index:Ec2Fleet::web";
pub const FLEET: &str = "ec2fleet:index:Ec2Fleet";

/// An Engine that records every Log request.
#[derive(Default, Clone)]
pub struct FakeEngine {
    pub logs: Arc<Mutex<Vec<rpc::LogRequest>>>,
}

#[tonic::async_trait]
impl Engine for FakeEngine {
    async fn log(&self, req: Request<rpc::LogRequest>) -> Result<Response<()>, Status> {
        self.logs.lock().unwrap().push(req.into_inner());
        Ok(Response::new(()))
    }
    async fn get_root_resource(
        &self,
        _: Request<rpc::GetRootResourceRequest>,
    ) -> Result<Response<rpc::GetRootResourceResponse>, Status> {
        Ok(Response::new(rpc::GetRootResourceResponse::default()))
    }
    async fn set_root_resource(
        &self,
        _: Request<rpc::SetRootResourceRequest>,
    ) -> Result<Response<rpc::SetRootResourceResponse>, Status> {
        Ok(Response::new(rpc::SetRootResourceResponse::default()))
    }
    async fn start_debugging(
        &self,
        _: Request<rpc::StartDebuggingRequest>,
    ) -> Result<Response<()>, Status> {
        Ok(Response::new(()))
    }
    async fn require_pulumi_version(
        &self,
        _: Request<rpc::RequirePulumiVersionRequest>,
    ) -> Result<Response<rpc::RequirePulumiVersionResponse>, Status> {
        Ok(Response::new(rpc::RequirePulumiVersionResponse::default()))
    }
}

pub async fn start_engine() -> (FakeEngine, SocketAddr) {
    let engine = FakeEngine::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = EngineServer::new(engine.clone());
    tokio::spawn(async move {
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener))
            .await
            .unwrap();
    });
    (engine, addr)
}

pub struct Plugin {
    pub child: Child,
    pub client: ResourceProviderClient<Channel>,
    pub stdout_rest: String,
}

/// Runs the binary with `args`, reads the port line, connects.
pub async fn start_plugin(args: &[&str]) -> Plugin {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pulumi-resource-ec2fleet"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the provider binary");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("port in time")
        .unwrap()
        .unwrap();
    let port: u16 = first
        .parse()
        .unwrap_or_else(|_| panic!("first stdout line must be the port alone, got {first:?}"));
    let client = ResourceProviderClient::connect(format!("http://127.0.0.1:{port}"))
        .await
        .expect("connect");
    // Anything else on stdout would corrupt the engine's reading of it.
    let rest = tokio::time::timeout(Duration::from_millis(200), lines.next_line()).await;
    let stdout_rest = match rest {
        Ok(Ok(Some(l))) => l,
        _ => String::new(),
    };
    Plugin {
        child,
        client,
        stdout_rest,
    }
}

pub fn s(v: &str) -> Value {
    Value::String(v.into())
}

pub fn props(pairs: Vec<(&str, Value)>) -> prost_types::Struct {
    encode_struct(&pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
}

impl Plugin {
    /// Configure with a region and no credential check (these tests need no AWS).
    pub async fn configure_offline(&mut self) {
        let req = rpc::ConfigureRequest {
            args: Some(config_ok()),
            ..Default::default()
        };
        self.client.configure(req).await.expect("configure");
    }

    /// Configure against the emulator, in `account`.
    pub async fn configure_emulator(&mut self, account: &str) {
        self.configure_emulator_with(account, vec![]).await
    }

    /// Configure against the emulator, in `account`, with more provider configuration.
    pub async fn configure_emulator_with(&mut self, account: &str, more: Vec<(&str, Value)>) {
        let endpoints = ec2fleet::config::SERVICES
            .iter()
            .map(|s| (s.to_string(), Value::String(super::emulator().url.clone())))
            .collect();
        let mut cfg = vec![
            ("region", s("us-east-1")),
            ("accessKey", Value::Secret(Box::new(s(account)))),
            ("secretKey", Value::Secret(Box::new(s("x")))),
            ("endpoints", Value::Object(endpoints)),
        ];
        cfg.extend(more);
        let cfg = props(cfg);
        self.client
            .configure(rpc::ConfigureRequest {
                args: Some(cfg),
                ..Default::default()
            })
            .await
            .expect("configure against the emulator");
    }

    /// Check of an Ec2Fleet named `web` with these inputs.
    pub async fn check_fleet(&mut self, news: prost_types::Struct) -> rpc::CheckResponse {
        let req = rpc::CheckRequest {
            urn: URN.into(),
            name: "web".into(),
            r#type: FLEET.into(),
            news: Some(news),
            ..Default::default()
        };
        self.client.check(req).await.expect("check").into_inner()
    }

    /// Create of the Ec2Fleet `web` with these checked inputs.
    pub async fn create_fleet(
        &mut self,
        inputs: Option<prost_types::Struct>,
    ) -> Result<rpc::CreateResponse, Status> {
        let req = create_request(inputs);
        self.client.create(req).await.map(Response::into_inner)
    }
}

/// The Create of the Ec2Fleet `web` with these checked inputs.
pub fn create_request(inputs: Option<prost_types::Struct>) -> rpc::CreateRequest {
    rpc::CreateRequest {
        urn: URN.into(),
        r#type: FLEET.into(),
        properties: inputs,
        timeout: 300.0,
        ..Default::default()
    }
}

pub fn config_ok() -> prost_types::Struct {
    props(vec![
        ("region", s("us-east-1")),
        ("skipCredentialsValidation", Value::Bool(true)),
        ("version", s("0.1.0")),
    ])
}

/// The `ErrorResourceInitFailed` a failed create carries in its status details.
pub fn init_failed(status: &Status) -> rpc::ErrorResourceInitFailed {
    use prost::Message;
    let details = ec2fleet::proto::google_rpc::Status::decode(status.details())
        .expect("the status details are a google.rpc.Status");
    let any = details.details.first().expect("one detail");
    assert_eq!(
        any.type_url,
        "type.googleapis.com/pulumirpc.ErrorResourceInitFailed"
    );
    rpc::ErrorResourceInitFailed::decode(any.value.as_slice()).unwrap()
}
