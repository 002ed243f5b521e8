//! Function and layer packages: zip bytes stored content-addressed in tree `lambda.code`
//! (key = sha256 hex, deduplicated across accounts), checked when uploaded (a readable zip,
//! unzipped size within AWS's limit) and extracted once, on demand, into
//! `<work_dir>/code/<sha256 hex>/` when a sandbox needs them.
//!
//! Extraction is safe against hostile archives: absolute paths and `..` components are
//! rejected, symlinks are not followed out of the tree (they are skipped), the unzipped total
//! is capped, and the unix permission bits of each entry are kept (a `bootstrap` must stay
//! executable).

use crate::error::{LambdaError, Result};
use crate::store::CODE;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use lamina_storage::{Store, WriteBatch};
use sha2::{Digest, Sha256};
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

/// AWS's cap on the unzipped size of a function and its layers.
pub const MAX_UNZIPPED: u64 = 262_144_000;
/// AWS's cap on a zip uploaded directly (50 MB).
pub const MAX_ZIPPED: u64 = 52_428_800;

pub const UNZIP_ERROR: &str =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

/// A checked package.
#[derive(Debug, Clone)]
pub struct Package {
    /// sha256 hex: the key in `lambda.code` and the extraction directory's name.
    pub key: String,
    /// Base64 sha256, as AWS reports `CodeSha256`.
    pub sha256: String,
    pub size: u64,
    pub unzipped_size: u64,
}

fn too_large() -> LambdaError {
    LambdaError::InvalidParameter(format!(
        "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
    ))
}

/// Checks a zip without extracting it: readable, entries safe, unzipped total within the cap.
pub fn inspect(bytes: &[u8]) -> Result<Package> {
    if bytes.len() as u64 > MAX_ZIPPED {
        return Err(LambdaError::RequestTooLarge(format!(
            "Request must be smaller than {MAX_ZIPPED} bytes for the CreateFunction operation"
        )));
    }
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| LambdaError::InvalidParameter(UNZIP_ERROR.into()))?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive
            .by_index_raw(i)
            .map_err(|_| LambdaError::InvalidParameter(UNZIP_ERROR.into()))?;
        safe_path(entry.name())?;
        total = total.saturating_add(entry.size());
    }
    if total > MAX_UNZIPPED {
        return Err(too_large());
    }
    let digest = Sha256::digest(bytes);
    Ok(Package {
        key: hex(&digest),
        sha256: B64.encode(digest),
        size: bytes.len() as u64,
        unzipped_size: total,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The relative path of an entry, or the unzip error for absolute paths and `..`.
fn safe_path(name: &str) -> Result<PathBuf> {
    let p = Path::new(name);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(LambdaError::InvalidParameter(UNZIP_ERROR.into()));
            }
        }
    }
    Ok(out)
}

/// Checks and stores a package; returns what the configuration records.
pub async fn put(store: &dyn Store, bytes: &[u8]) -> Result<Package> {
    let pkg = inspect(bytes)?;
    if store.get(CODE, pkg.key.as_bytes()).await?.is_none() {
        let mut b = WriteBatch::new();
        b.put(CODE, pkg.key.as_bytes().to_vec(), bytes.to_vec());
        store.commit(b).await?;
    }
    Ok(pkg)
}

/// The stored zip of a package.
pub async fn get(store: &dyn Store, key: &str) -> Result<Vec<u8>> {
    store
        .get(CODE, key.as_bytes())
        .await?
        .ok_or_else(|| LambdaError::Internal(format!("package {key} is missing from the store")))
}

/// Decodes a canonical blob (base64).
pub fn decode_blob(b64: &str) -> Result<Vec<u8>> {
    B64.decode(b64)
        .map_err(|_| LambdaError::InvalidParameter(UNZIP_ERROR.into()))
}

/// The directory a package is extracted into, extracting it first if needed.
pub async fn extracted(store: &dyn Store, work_dir: &Path, key: &str) -> Result<PathBuf> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(LambdaError::Internal(format!("bad package key {key:?}")));
    }
    let dir = work_dir.join("code").join(key);
    if dir.is_dir() {
        return Ok(dir);
    }
    let bytes = get(store, key).await?;
    let target = dir.clone();
    tokio::task::spawn_blocking(move || extract_into(&bytes, &target))
        .await
        .map_err(|e| LambdaError::Internal(format!("extraction task: {e}")))??;
    Ok(dir)
}

/// Extracts into a fresh temporary sibling, then renames it into place, so a reader never
/// sees a half-extracted tree and concurrent extractions of one package are harmless.
pub fn extract_into(bytes: &[u8], dir: &Path) -> Result<()> {
    let io = |e: std::io::Error| LambdaError::Internal(format!("extracting package: {e}"));
    let parent = dir
        .parent()
        .ok_or_else(|| LambdaError::Internal("package dir has no parent".into()))?;
    std::fs::create_dir_all(parent).map_err(io)?;
    let tmp = parent.join(format!(".tmp-{}", lamina_core::new_request_id()));
    std::fs::create_dir_all(&tmp).map_err(io)?;
    let result = extract_files(bytes, &tmp);
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    match std::fs::rename(&tmp, dir) {
        Ok(()) => Ok(()),
        // Another extraction won the race: its tree is identical.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            Err(io(e))
        }
    }
}

fn extract_files(bytes: &[u8], root: &Path) -> Result<()> {
    let io = |e: std::io::Error| LambdaError::Internal(format!("extracting package: {e}"));
    let bad = || LambdaError::InvalidParameter(UNZIP_ERROR.into());
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad())?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|_| bad())?;
        let rel = safe_path(entry.name())?;
        if rel.as_os_str().is_empty() {
            continue;
        }
        let path = root.join(&rel);
        if entry.is_dir() {
            std::fs::create_dir_all(&path).map_err(io)?;
            continue;
        }
        if entry.is_symlink() {
            // A symlink could point out of the task root; AWS resolves them inside the
            // sandbox's file system, which Lamina does not isolate everywhere: skip.
            continue;
        }
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(io)?;
        }
        let mut out = std::fs::File::create(&path).map_err(io)?;
        // Count what is actually written, not what the header claims.
        let limit = MAX_UNZIPPED.saturating_sub(total) + 1;
        let written = std::io::copy(&mut (&mut entry).take(limit), &mut out).map_err(|_| bad())?;
        total += written;
        if total > MAX_UNZIPPED {
            return Err(too_large());
        }
        set_mode(&path, entry.unix_mode()).map_err(io)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: Option<u32>) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    // Keep the owner's executable bit from the archive; files are readable by everyone.
    let exec = mode.is_some_and(|m| m & 0o111 != 0);
    let perm = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(perm))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: Option<u32>) -> std::io::Result<()> {
    Ok(())
}

/// Builds a zip from `(name, contents, unix mode)`, for tests here and in other modules.
#[cfg(test)]
pub fn make_zip(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, data, mode) in files {
        let opts = zip::write::SimpleFileOptions::default().unix_permissions(*mode);
        w.start_file(*name, opts).expect("start file");
        w.write_all(data).expect("write");
    }
    w.finish().expect("finish").into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_reported_as_aws_does() {
        let zip = make_zip(&[("index.py", b"def handler(e, c):\n    return e\n", 0o644)]);
        let p = inspect(&zip).unwrap();
        let digest = Sha256::digest(&zip);
        assert_eq!(p.sha256, B64.encode(digest));
        assert_eq!(p.key.len(), 64);
        assert_eq!(p.size, zip.len() as u64);
    }

    #[test]
    fn garbage_is_not_a_zip() {
        let e = inspect(b"not a zip at all").unwrap_err();
        assert_eq!(e.to_string(), UNZIP_ERROR);
    }

    #[test]
    fn traversal_is_rejected() {
        for name in ["../evil", "/etc/passwd", "a/../../b"] {
            let zip = make_zip(&[(name, b"x", 0o644)]);
            assert_eq!(
                inspect(&zip).unwrap_err().to_string(),
                UNZIP_ERROR,
                "{name}"
            );
        }
    }

    #[test]
    fn extraction_keeps_the_executable_bit() {
        use std::os::unix::fs::PermissionsExt;
        let zip = make_zip(&[
            ("bootstrap", b"#!/bin/sh\necho hi\n", 0o755),
            ("lib/data.txt", b"data", 0o644),
        ]);
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("code").join("abc");
        extract_into(&zip, &dir).unwrap();
        let boot = std::fs::metadata(dir.join("bootstrap")).unwrap();
        assert_ne!(boot.permissions().mode() & 0o111, 0);
        let data = std::fs::metadata(dir.join("lib/data.txt")).unwrap();
        assert_eq!(data.permissions().mode() & 0o111, 0);
        assert_eq!(std::fs::read(dir.join("lib/data.txt")).unwrap(), b"data");
        // a second extraction of the same package is harmless
        extract_into(&zip, &dir).unwrap();
    }

    #[tokio::test]
    async fn packages_are_stored_once_and_extracted_on_demand() {
        let store = lamina_storage_memory::MemoryStore::new();
        let zip = make_zip(&[("index.js", b"exports.handler = async () => 1;", 0o644)]);
        let a = put(store.as_ref(), &zip).await.unwrap();
        let b = put(store.as_ref(), &zip).await.unwrap();
        assert_eq!(a.key, b.key);
        let tmp = tempfile::tempdir().unwrap();
        let dir = extracted(store.as_ref(), tmp.path(), &a.key).await.unwrap();
        assert_eq!(dir, tmp.path().join("code").join(&a.key));
        assert!(dir.join("index.js").is_file());
    }
}
