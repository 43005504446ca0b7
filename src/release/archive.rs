//! Reads a Pulumi Archive into a bundle, in every form the engine sends: a folder, a `.zip`
//! (`.jar`), `.tar`, `.tgz` or `.tar.gz` file, or an AssetArchive whose entries are assets (text
//! or files) and nested archives. Relative paths are the program's, which is the provider's working
//! directory. Remote archives and assets (`uri`) are refused: the provider fetches nothing.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::{Bundle, File};
use crate::server::props::{Archive, ArchiveSource, Asset, AssetSource, Value};

/// Why an archive could not be read; the text names the file.
pub type ReadError = String;

/// Folders nested deeper than this are refused (a symbolic link loop would never end).
const MAX_DEPTH: usize = 64;

/// The archive's files, relative paths resolved against `base`.
pub fn read(archive: &Archive, base: &Path) -> Result<Bundle, ReadError> {
    let mut bundle = Bundle::new();
    read_into(archive, base, "", &mut bundle)?;
    Ok(bundle)
}

fn read_into(
    archive: &Archive,
    base: &Path,
    prefix: &str,
    out: &mut Bundle,
) -> Result<(), ReadError> {
    match &archive.source {
        ArchiveSource::Path(p) => read_path(&base.join(p), p, prefix, out),
        ArchiveSource::Uri(u) => Err(format!("{u} is a remote archive; the provider reads only local ones: use a FileArchive of a folder or of a .zip, .tar or .tgz file")),
        ArchiveSource::Assets(entries) => {
            for (name, entry) in entries {
                let at = join(prefix, &clean(name)?);
                match entry {
                    Value::Asset(a) => insert(out, at, asset(a, base)?)?,
                    Value::Archive(a) => read_into(a, base, &at, out)?,
                    _ => return Err(format!("{name}: an AssetArchive entry must be an asset or an archive")),
                }
            }
            Ok(())
        }
    }
}

fn asset(a: &Asset, base: &Path) -> Result<File, ReadError> {
    match &a.source {
        AssetSource::Text(t) => Ok(File { bytes: t.clone().into_bytes(), executable: false }),
        AssetSource::Path(p) => read_file(&base.join(p), p),
        AssetSource::Uri(u) => Err(format!("{u} is a remote asset; the provider reads only local ones: use a FileAsset or a StringAsset")),
    }
}

fn read_path(path: &Path, shown: &str, prefix: &str, out: &mut Bundle) -> Result<(), ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if meta.is_dir() {
        return read_folder(path, prefix, 0, out);
    }
    let name = shown.to_ascii_lowercase();
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    let files = if name.ends_with(".zip") || name.ends_with(".jar") {
        unzip(&bytes, shown)?
    } else if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        untar(flate2::read::GzDecoder::new(bytes.as_slice()), shown)?
    } else if name.ends_with(".tar") {
        untar(bytes.as_slice(), shown)?
    } else {
        return Err(format!(
            "{shown} is neither a folder nor a .zip, .jar, .tar, .tgz or .tar.gz file"
        ));
    };
    for (p, f) in files {
        insert(out, join(prefix, &p), f)?;
    }
    Ok(())
}

fn read_folder(dir: &Path, prefix: &str, depth: usize, out: &mut Bundle) -> Result<(), ReadError> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}: folders nested over {MAX_DEPTH} deep (a symbolic link loop?)",
            dir.display()
        ));
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .and_then(|rd| rd.map(|e| e.map(|e| e.path())).collect())
        .map_err(|e| format!("{}: {e}", dir.display()))?;
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let at = join(prefix, &name);
        if std::fs::metadata(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .is_dir()
        {
            read_folder(&path, &at, depth + 1, out)?;
        } else {
            insert(out, at, read_file(&path, &path.display().to_string())?)?;
        }
    }
    Ok(())
}

fn read_file(path: &Path, shown: &str) -> Result<File, ReadError> {
    let bytes = std::fs::read(path).map_err(|e| format!("{shown}: {e}"))?;
    Ok(File {
        bytes,
        executable: executable(path),
    })
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(_: &Path) -> bool {
    false
}

fn unzip(bytes: &[u8], shown: &str) -> Result<Vec<(String, File)>, ReadError> {
    let bad = |e: zip::result::ZipError| format!("{shown} is not a readable zip: {e}");
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(bad)?;
    let mut files = Vec::new();
    for i in 0..z.len() {
        let mut entry = z.by_index(i).map_err(bad)?;
        if entry.is_dir() {
            continue;
        }
        let raw = entry.name().map_err(bad)?.into_owned();
        let name = clean(&raw).map_err(|e| format!("{shown}: {e}"))?;
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0);
        let mut data = Vec::new();
        entry
            .read_to_end(&mut data)
            .map_err(|e| format!("{shown}: {name}: {e}"))?;
        files.push((
            name,
            File {
                bytes: data,
                executable,
            },
        ));
    }
    Ok(files)
}

fn untar(r: impl Read, shown: &str) -> Result<Vec<(String, File)>, ReadError> {
    let bad = |e: std::io::Error| format!("{shown} is not a readable tar: {e}");
    let mut t = tar::Archive::new(r);
    let mut files = Vec::new();
    for entry in t.entries().map_err(bad)? {
        let mut entry = entry.map_err(bad)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry.path().map_err(bad)?.to_string_lossy().into_owned();
        let name = clean(&raw).map_err(|e| format!("{shown}: {e}"))?;
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(bad)?;
        files.push((
            name,
            File {
                bytes: data,
                executable,
            },
        ));
    }
    Ok(files)
}

/// A path inside the bundle: `/`-separated, no leading `/` or `./`, nothing climbing out with `..`.
fn clean(name: &str) -> Result<String, ReadError> {
    let parts: Vec<&str> = name
        .split(['/', '\\'])
        .filter(|p| !p.is_empty() && *p != ".")
        .collect();
    if parts.contains(&"..") {
        return Err(format!(
            "{name}: a path with .. would land outside the bundle"
        ));
    }
    if parts.is_empty() {
        return Err(format!("{name:?} names no file"));
    }
    Ok(parts.join("/"))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

fn insert(out: &mut Bundle, at: String, file: File) -> Result<(), ReadError> {
    if out.insert(at.clone(), file).is_some() {
        return Err(format!("{at} is in the archive twice"));
    }
    Ok(())
}
