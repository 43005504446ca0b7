//! The deterministic zip of a bundle: files in path order, every timestamp the zip epoch
//! (1980-01-01), modes 0755 for executables and 0644 for the rest, one compression level. The
//! same content always gives the same bytes, so its SHA-256 says whether a release changed.

use std::io::Write;

use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipWriter};

use super::Bundle;

/// A built bundle zip and its SHA-256 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zipped {
    /// The zip's bytes.
    pub bytes: Vec<u8>,
    /// SHA-256 of those bytes.
    pub sha256: String,
}

/// Zips `bundle` deterministically (into memory: only a file too large for zip fails).
pub fn build(bundle: &Bundle) -> Result<Zipped, String> {
    let mut z = ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let base = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(6))
        .last_modified_time(DateTime::default());
    for (path, file) in bundle {
        let mode = if file.executable { 0o755 } else { 0o644 };
        let options = base
            .unix_permissions(mode)
            .large_file(file.bytes.len() >= u32::MAX as usize);
        z.start_file(path.as_str(), options)
            .and_then(|()| z.write_all(&file.bytes).map_err(Into::into))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let bytes = z.finish().map_err(|e| e.to_string())?.into_inner();
    let sha256 = hex(&Sha256::digest(&bytes));
    Ok(Zipped { bytes, sha256 })
}

/// Lowercase hex of a digest.
pub fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
