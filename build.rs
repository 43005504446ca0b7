//! Compiles our definitions of Pulumi's wire protocol (proto/) into Rust with tonic.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let protos = [
        "proto/pulumi/provider.proto",
        "proto/pulumi/engine.proto",
        "proto/pulumi/plugin.proto",
        "proto/pulumi/alias.proto",
        "proto/google/rpc/status.proto",
    ];
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_protos(&protos, &["proto"])?;
    for p in protos {
        println!("cargo:rerun-if-changed={p}");
    }
    Ok(())
}
