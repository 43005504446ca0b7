//! `pulumi-resource-ec2fleet`: Pulumi's provider start-up contract. Bind 127.0.0.1 on a free port, print
//! only the port and a newline on stdout, serve gRPC until the engine hangs up or a signal arrives.
//!
//! Arguments: `[--logtostderr] [-v=N] [--tracing ADDR] [ENGINE_ADDRESS]`; `--print-schema` prints the
//! package schema instead (for `make schema`).

use std::io::Write;

use ec2fleet::proto::pulumirpc::resource_provider_server::ResourceProviderServer;
use ec2fleet::server::catch_panic::CatchPanicLayer;
use ec2fleet::server::trace::{Collector, TraceLayer};
use ec2fleet::server::Provider;
use tokio::net::TcpListener;
use tonic::transport::server::TcpIncoming;
use tracing_subscriber::EnvFilter;

/// Parsed command line.
#[derive(Debug, Default)]
struct Args {
    log_to_stderr: bool,
    verbosity: u32,
    tracing: Option<String>,
    engine_address: Option<String>,
    print_schema: bool,
}

fn parse_args(argv: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut a = Args::default();
    let mut it = argv.into_iter();
    let mut positional = Vec::new();
    while let Some(arg) = it.next() {
        let flag = arg.trim_start_matches('-');
        match flag.split_once('=') {
            _ if !arg.starts_with('-') => positional.push(arg.clone()),
            Some(("v", n)) => a.verbosity = n.parse().map_err(|_| format!("-v takes a number, got {n:?}"))?,
            Some(("tracing", addr)) => a.tracing = Some(addr.to_string()),
            Some(("logtostderr", b)) => a.log_to_stderr = b != "false",
            None if flag == "logtostderr" => a.log_to_stderr = true,
            None if flag == "print-schema" => a.print_schema = true,
            None if flag == "v" => {
                let n = it.next().ok_or("-v needs a number")?;
                a.verbosity = n.parse().map_err(|_| format!("-v takes a number, got {n:?}"))?;
            }
            None if flag == "tracing" => a.tracing = Some(it.next().ok_or("--tracing needs an address")?),
            _ => return Err(format!("unknown argument {arg:?}; usage: pulumi-resource-ec2fleet [--logtostderr] [-v=N] [--tracing ADDR] [ENGINE_ADDRESS]")),
        }
    }
    // The engine passes its address last.
    a.engine_address = positional.pop();
    Ok(a)
}

/// Logs go to stderr, where the engine collects them: warnings and errors always, more with
/// `--logtostderr -v=N`; RUST_LOG overrides.
fn init_logging(a: &Args) {
    let level = match (a.log_to_stderr, a.verbosity) {
        (false, _) | (true, 0) => "warn",
        (true, 1..=3) => "info",
        (true, 4..=6) => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,ec2fleet={level},pulumi_resource_ec2fleet={level}"
        ))
    });
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(filter)
        .init();
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
        _ = int.recv() => tracing::info!("SIGINT: shutting down"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("pulumi-resource-ec2fleet: {e}");
            std::process::exit(2)
        }
    };
    if args.print_schema {
        println!(
            "{}",
            serde_json::to_string_pretty(&ec2fleet::schema::generate())?
        );
        return Ok(());
    }
    init_logging(&args);
    let collector = match args.tracing.as_deref().map(Collector::connect) {
        Some(Ok(c)) => Some(c),
        // A trace the provider cannot join must not stop the deployment: warn and go on.
        Some(Err(e)) => {
            tracing::warn!("{e}; provider spans will not be exported");
            None
        }
        None => None,
    };
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let mut out = std::io::stdout().lock();
    writeln!(out, "{port}")?;
    out.flush()?;
    drop(out);
    tracing::info!(port, engine = ?args.engine_address, "serving");
    let provider = Provider::new(args.engine_address.as_deref());
    let service = ResourceProviderServer::new(provider)
        .max_decoding_message_size(400 * 1024 * 1024)
        .max_encoding_message_size(400 * 1024 * 1024);
    tonic::transport::Server::builder()
        .layer(TraceLayer(collector))
        .layer(CatchPanicLayer)
        .add_service(service)
        // No Nagle: a response written in pieces would otherwise wait for the engine's delayed ACK
        // (40 ms a call on Linux, measured on GetSchema and Check).
        .serve_with_incoming_shutdown(
            TcpIncoming::from(listener).with_nodelay(Some(true)),
            shutdown_signal(),
        )
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Args, String> {
        parse_args(s.split_whitespace().map(String::from))
    }

    #[test]
    fn engine_address_is_the_last_positional_argument() {
        let a = parse("--logtostderr -v=9 --tracing 127.0.0.1:9411 127.0.0.1:4567").unwrap();
        assert!(a.log_to_stderr);
        assert_eq!(a.verbosity, 9);
        assert_eq!(a.tracing.as_deref(), Some("127.0.0.1:9411"));
        assert_eq!(a.engine_address.as_deref(), Some("127.0.0.1:4567"));
    }

    #[test]
    fn no_address_means_attach_mode_and_bad_flags_are_refused() {
        assert_eq!(parse("--logtostderr").unwrap().engine_address, None);
        assert!(parse("-v=x").is_err());
        assert!(parse("--bogus").is_err());
    }
}
