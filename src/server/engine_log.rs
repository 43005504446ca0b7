//! User-facing messages through the engine's `Log` service: warnings about inputs, and progress lines.

use std::sync::{Arc, Mutex};

use tokio::sync::{mpsc, oneshot};
use tonic::transport::{Channel, Endpoint};

use crate::proto::pulumirpc::{engine_client::EngineClient, LogRequest, LogSeverity};

/// A handle on the engine's Log service; silent until the engine's address is known.
#[derive(Default)]
pub struct EngineLog {
    client: Mutex<Option<EngineClient<Channel>>>,
}

impl EngineLog {
    /// Points the log at the engine (`host:port`). The connection is made on first use.
    pub fn connect(&self, address: &str) {
        let endpoint = match Endpoint::from_shared(format!("http://{address}")) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(address, error = %e, "engine address is not usable; engine log disabled");
                return;
            }
        };
        *self.client.lock().unwrap_or_else(|p| p.into_inner()) =
            Some(EngineClient::new(endpoint.connect_lazy()));
    }

    /// Sends one message; failures are logged locally, never returned (a lost log line must not fail a
    /// deployment).
    pub async fn send(
        &self,
        severity: LogSeverity,
        urn: &str,
        message: impl Into<String>,
        ephemeral: bool,
    ) {
        let client = self
            .client
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let message = message.into();
        let Some(mut client) = client else {
            tracing::info!(urn, %message, "engine log (no engine connected)");
            return;
        };
        let req = LogRequest {
            severity: severity as i32,
            message,
            urn: urn.to_string(),
            stream_id: 0,
            ephemeral,
        };
        if let Err(e) = client.log(req).await {
            tracing::warn!(error = %e, "could not send a log message to the engine");
        }
    }

    /// A warning attached to a resource.
    pub async fn warn(&self, urn: &str, message: impl Into<String>) {
        self.send(LogSeverity::Warning, urn, message, false).await;
    }

    /// An informational line attached to a resource, kept in the update's output.
    pub async fn info(&self, urn: &str, message: impl Into<String>) {
        self.send(LogSeverity::Info, urn, message, false).await;
    }

    /// A transient status line attached to a resource (shown while it is current, not kept).
    pub async fn status(&self, urn: &str, message: impl Into<String>) {
        self.send(LogSeverity::Info, urn, message, true).await;
    }

    /// A sender for one resource's lines that reach the engine in the order sent (each Log call is
    /// its own RPC, so lines sent from parallel tasks would otherwise overtake each other). The
    /// delivering task ends once every sender is dropped.
    pub fn ordered(self: &Arc<Self>, urn: &str) -> mpsc::UnboundedSender<Line> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (log, urn) = (self.clone(), urn.to_string());
        tokio::spawn(async move {
            while let Some(line) = rx.recv().await {
                match line {
                    Line::Info(m) => log.info(&urn, m).await,
                    Line::Status(m) => log.status(&urn, m).await,
                    Line::Flush(ack) => {
                        let _ = ack.send(());
                    }
                }
            }
        });
        tx
    }
}

/// One line about a resource.
pub enum Line {
    /// Kept in the operation's output (the CLI's diagnostics).
    Info(String),
    /// Shown while current, then replaced.
    Status(String),
    /// Answered once every line before it has been delivered.
    Flush(oneshot::Sender<()>),
}
