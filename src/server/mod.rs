//! The gRPC layer: decode a request, call the fleet or config logic, encode the response.

pub mod catch_panic;
pub mod engine_log;
pub mod errors;
pub mod lifecycle;
mod operations;
pub mod props;
pub mod resource;
pub mod trace;
pub mod typed;

use std::sync::Arc;

use std::collections::BTreeMap;

use tokio::sync::{watch, RwLock};
use tonic::{Request, Response, Status};

use crate::aws::Clients;
use crate::config::ProviderConfig;
use crate::fleet::diff::{changed_keys, Changes};
use crate::fleet::{InputError, TOKEN};
use crate::proto::pulumirpc as rpc;
use engine_log::EngineLog;
use props::{decode_struct, encode_struct, PropertyMap};

/// Provider-wide state after Configure.
struct Configured {
    region: String,
    clients: Clients,
    default_tags: BTreeMap<String, String>,
}

/// The ec2fleet provider: one per engine connection.
pub struct Provider {
    log: Arc<EngineLog>,
    configured: RwLock<Option<Configured>>,
    /// Set by Cancel: running operations start nothing new and return what they made.
    cancel: watch::Sender<bool>,
}

impl Provider {
    /// A provider that logs to the engine at `engine_address`, when known.
    pub fn new(engine_address: Option<&str>) -> Self {
        let log = Arc::new(EngineLog::default());
        if let Some(a) = engine_address {
            log.connect(a);
        }
        Self {
            log,
            configured: RwLock::new(None),
            cancel: watch::Sender::new(false),
        }
    }
}

fn failures(errors: Vec<InputError>) -> Vec<rpc::CheckFailure> {
    errors
        .into_iter()
        .map(|e| rpc::CheckFailure {
            property: e.property,
            reason: e.reason,
        })
        .collect()
}

fn check_type(ty: &str, urn: &str) -> Result<(), Status> {
    let ty = if ty.is_empty() {
        urn.rsplit("::").nth(1).unwrap_or("")
    } else {
        ty
    };
    if ty == TOKEN {
        Ok(())
    } else {
        Err(Status::invalid_argument(format!(
            "ec2fleet has no resource type {ty:?}; the only one is {TOKEN}"
        )))
    }
}

fn unimplemented(what: &str) -> Status {
    Status::unimplemented(format!(
        "ec2fleet {}: {what} is not supported",
        env!("CARGO_PKG_VERSION")
    ))
}

/// The provider's configuration from a Configure request: `args` when the engine sends them, else the
/// legacy `variables` map (keys like `ec2fleet:config:region`).
fn configure_args(req: &rpc::ConfigureRequest) -> serde_json::Map<String, serde_json::Value> {
    if let Some(args) = &req.args {
        return match typed::to_json(&decode_struct(Some(args))) {
            serde_json::Value::Object(m) => m,
            _ => serde_json::Map::new(),
        };
    }
    req.variables
        .iter()
        .map(|(k, v)| {
            (
                k.rsplit(':').next().unwrap_or(k).to_string(),
                serde_json::Value::String(v.clone()),
            )
        })
        .collect()
}

#[tonic::async_trait]
impl rpc::resource_provider_server::ResourceProvider for Provider {
    async fn handshake(
        &self,
        req: Request<rpc::ProviderHandshakeRequest>,
    ) -> Result<Response<rpc::ProviderHandshakeResponse>, Status> {
        let req = req.into_inner();
        if !req.engine_address.is_empty() {
            self.log.connect(&req.engine_address);
        }
        Ok(Response::new(rpc::ProviderHandshakeResponse {
            accept_secrets: true,
            accept_resources: true,
            accept_outputs: false,
            supports_autonaming_configuration: true,
            ..Default::default()
        }))
    }

    async fn parameterize(
        &self,
        _: Request<rpc::ParameterizeRequest>,
    ) -> Result<Response<rpc::ParameterizeResponse>, Status> {
        Err(unimplemented(
            "Parameterize (the package takes no parameters)",
        ))
    }

    async fn get_schema(
        &self,
        req: Request<rpc::GetSchemaRequest>,
    ) -> Result<Response<rpc::GetSchemaResponse>, Status> {
        let req = req.into_inner();
        if !req.subpackage_name.is_empty() {
            return Err(Status::not_found(format!(
                "ec2fleet has no subpackage {:?}",
                req.subpackage_name
            )));
        }
        Ok(Response::new(rpc::GetSchemaResponse {
            schema: crate::schema::generate().to_string(),
        }))
    }

    async fn check_config(
        &self,
        req: Request<rpc::CheckRequest>,
    ) -> Result<Response<rpc::CheckResponse>, Status> {
        let req = req.into_inner();
        let news = decode_struct(req.news.as_ref());
        let failures = match typed::to_json(&news) {
            serde_json::Value::Object(m) => ProviderConfig::parse(&m)
                .err()
                .map(failures)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        Ok(Response::new(rpc::CheckResponse {
            inputs: req.news,
            failures,
        }))
    }

    async fn diff_config(
        &self,
        req: Request<rpc::DiffRequest>,
    ) -> Result<Response<rpc::DiffResponse>, Status> {
        let req = req.into_inner();
        let olds = typed::to_json(&decode_struct(
            req.old_inputs.as_ref().or(req.olds.as_ref()),
        ));
        let news = typed::to_json(&decode_struct(req.news.as_ref()));
        let changed = changed_keys(&olds, &news);
        // A fleet cannot move between regions in place: a new region means new AWS objects.
        let replaces = changed.iter().filter(|k| *k == "region").cloned().collect();
        Ok(Response::new(lifecycle::diff_response(Changes {
            changed,
            replaces,
            delete_before_replace: false,
        })))
    }

    async fn configure(
        &self,
        req: Request<rpc::ConfigureRequest>,
    ) -> Result<Response<rpc::ConfigureResponse>, Status> {
        let req = req.into_inner();
        let cfg = ProviderConfig::parse(&configure_args(&req)).map_err(|errs| {
            let lines: Vec<String> = errs
                .iter()
                .map(|e| format!("ec2fleet:{}: {}", e.property, e.reason))
                .collect();
            Status::invalid_argument(format!(
                "invalid provider configuration:\n  {}",
                lines.join("\n  ")
            ))
        })?;
        let region = cfg.effective_region().ok_or_else(|| {
            Status::failed_precondition(
                "no AWS region: set it with `pulumi config set ec2fleet:region us-east-1` or the AWS_REGION environment variable",
            )
        })?;
        let clients = Clients::new(&cfg, &region).await;
        if !cfg.skip_credentials_validation {
            clients.validate_credentials().await.map_err(|e| {
                Status::failed_precondition(format!(
                    "the AWS credentials could not be validated ({e}); set ec2fleet:accessKey/secretKey or a profile, or skipCredentialsValidation for endpoints without STS"
                ))
            })?;
        }
        tracing::info!(%region, endpoints = ?cfg.endpoints.keys().collect::<Vec<_>>(), "configured");
        *self.configured.write().await = Some(Configured {
            region,
            clients,
            default_tags: cfg.default_tags,
        });
        Ok(Response::new(rpc::ConfigureResponse {
            accept_secrets: true,
            supports_preview: true,
            accept_resources: true,
            accept_outputs: false,
            supports_autonaming_configuration: true,
        }))
    }

    async fn invoke(
        &self,
        req: Request<rpc::InvokeRequest>,
    ) -> Result<Response<rpc::InvokeResponse>, Status> {
        Err(unimplemented(&format!(
            "function {:?} (the package has no functions)",
            req.into_inner().tok
        )))
    }

    async fn call(
        &self,
        req: Request<rpc::CallRequest>,
    ) -> Result<Response<rpc::CallResponse>, Status> {
        Err(unimplemented(&format!(
            "method {:?} (the package has no methods)",
            req.into_inner().tok
        )))
    }

    async fn check(
        &self,
        req: Request<rpc::CheckRequest>,
    ) -> Result<Response<rpc::CheckResponse>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        let news = decode_struct(req.news.as_ref());
        let olds = decode_struct(req.olds.as_ref());
        let (region, default_tags) = match self.configured.read().await.as_ref() {
            Some(c) => (Some(c.region.clone()), c.default_tags.clone()),
            None => (None, BTreeMap::new()),
        };
        let checked = resource::check(resource::CheckInput {
            news: &news,
            olds: &olds,
            name: &req.name,
            random_seed: &req.random_seed,
            autonaming: req.autonaming.as_ref(),
            region: region.as_deref(),
            default_tags: &default_tags,
        });
        match checked {
            Ok(c) => {
                for w in c.warnings {
                    self.log.warn(&req.urn, w).await;
                }
                Ok(Response::new(rpc::CheckResponse {
                    inputs: Some(encode_struct(&c.inputs)),
                    failures: Vec::new(),
                }))
            }
            Err(errs) => Ok(Response::new(rpc::CheckResponse {
                inputs: req.news,
                failures: failures(errs),
            })),
        }
    }

    async fn diff(
        &self,
        req: Request<rpc::DiffRequest>,
    ) -> Result<Response<rpc::DiffResponse>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        Ok(Response::new(self.diff_fleet(req).await?))
    }

    async fn create(
        &self,
        req: Request<rpc::CreateRequest>,
    ) -> Result<Response<rpc::CreateResponse>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        if !req.preview {
            return Ok(Response::new(self.create_fleet(req).await?));
        }
        let inputs: PropertyMap = decode_struct(req.properties.as_ref());
        self.log
            .status(
                &req.urn,
                "planning the fleet's VPC, load balancer, Auto Scaling group, pipeline and CDN",
            )
            .await;
        let state = resource::preview_state(&inputs);
        Ok(Response::new(rpc::CreateResponse {
            id: String::new(),
            properties: Some(encode_struct(&state)),
            refresh_before_update: false,
        }))
    }

    async fn read(
        &self,
        req: Request<rpc::ReadRequest>,
    ) -> Result<Response<rpc::ReadResponse>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        Ok(Response::new(self.read_fleet(req).await?))
    }

    type ListStream = futures::stream::Empty<Result<rpc::ListResponse, Status>>;

    async fn list(
        &self,
        _: Request<rpc::ListRequest>,
    ) -> Result<Response<Self::ListStream>, Status> {
        Err(unimplemented("List"))
    }

    async fn update(
        &self,
        req: Request<rpc::UpdateRequest>,
    ) -> Result<Response<rpc::UpdateResponse>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        Ok(Response::new(self.update_fleet(req).await?))
    }

    async fn delete(&self, req: Request<rpc::DeleteRequest>) -> Result<Response<()>, Status> {
        let req = req.into_inner();
        check_type(&req.r#type, &req.urn)?;
        self.delete_fleet(req).await?;
        Ok(Response::new(()))
    }

    async fn construct(
        &self,
        _: Request<rpc::ConstructRequest>,
    ) -> Result<Response<rpc::ConstructResponse>, Status> {
        Err(unimplemented(
            "Construct (the package has no component resources)",
        ))
    }

    async fn cancel(&self, _: Request<()>) -> Result<Response<()>, Status> {
        tracing::info!("cancel requested");
        self.cancel.send_replace(true);
        Ok(Response::new(()))
    }

    async fn get_plugin_info(&self, _: Request<()>) -> Result<Response<rpc::PluginInfo>, Status> {
        Ok(Response::new(rpc::PluginInfo {
            version: env!("CARGO_PKG_VERSION").to_string(),
        }))
    }

    async fn attach(&self, req: Request<rpc::PluginAttach>) -> Result<Response<()>, Status> {
        self.log.connect(&req.into_inner().address);
        Ok(Response::new(()))
    }

    async fn get_mapping(
        &self,
        _: Request<rpc::GetMappingRequest>,
    ) -> Result<Response<rpc::GetMappingResponse>, Status> {
        // No conversion mappings: an empty answer tells the engine so.
        Ok(Response::new(rpc::GetMappingResponse::default()))
    }

    async fn get_mappings(
        &self,
        _: Request<rpc::GetMappingsRequest>,
    ) -> Result<Response<rpc::GetMappingsResponse>, Status> {
        Ok(Response::new(rpc::GetMappingsResponse::default()))
    }
}
