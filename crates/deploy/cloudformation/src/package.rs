//! Packaging local artifacts into a template: what `lamina package` / `lamina deploy` do on
//! the client, and what the SAM transform does on the server for a relative `CodeUri` /
//! `ContentUri` under the configured code root (`lamina serve --code-root`).
//!
//! Code folders are zipped the way Python's `zipfile` (and so SAM CLI) does it: every file
//! under the folder, named relative to it with `/` separators, in a stable (sorted) order,
//! deflated, with its Unix permission bits kept (an executable `bootstrap` stays
//! executable). A path to a `.zip`/`.jar` file is taken as is; a path to another file is
//! zipped alone. `s3://` locations and values that are not strings are left untouched.

use crate::sam::PACKAGED_KEY;
use base64::Engine as _;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Component, Path, PathBuf};

/// Deeper folders than this are not followed (a symlink loop would never end).
const MAX_DIR_DEPTH: usize = 32;

/// Packaged code larger than this is refused by the client (the template must stay within
/// 1 MB). The server, which packages after the template arrived, allows the size of a
/// Lambda zip upload.
pub const MAX_TEMPLATE_ZIP: usize = 700 * 1024;

/// The largest zip the server makes from a code-root folder (Lambda's direct-upload limit).
pub const MAX_SERVER_ZIP: usize = 50 * 1024 * 1024;

/// Reads and packages the template at `path`; the packaged template as JSON.
pub fn package_file(path: &Path) -> Result<Value, String> {
    let body = std::fs::read_to_string(path)
        .map_err(|e| format!("reading template {}: {e}", path.display()))?;
    let mut template =
        crate::template::parse(&body).map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
    package(&mut template, &base)?;
    Ok(template)
}

/// Which property of which resource type is a local artifact, and what it becomes.
enum Artifact {
    /// Code zipped into `{"LaminaZipBase64": ...}` in place.
    Zip,
    /// A definition file inlined as another property (`DefinitionUri` → `DefinitionBody`).
    Inline(&'static str),
}

fn artifacts(resource_type: &str) -> &'static [(&'static str, Artifact)] {
    match resource_type {
        "AWS::Serverless::Function" => &[("CodeUri", Artifact::Zip)],
        "AWS::Serverless::LayerVersion" => &[("ContentUri", Artifact::Zip)],
        "AWS::Lambda::Function" => &[("Code", Artifact::Zip)],
        "AWS::Lambda::LayerVersion" => &[("Content", Artifact::Zip)],
        "AWS::Serverless::Api" | "AWS::Serverless::HttpApi" => {
            &[("DefinitionUri", Artifact::Inline("DefinitionBody"))]
        }
        "AWS::ApiGateway::RestApi" | "AWS::ApiGatewayV2::Api" => {
            &[("BodyS3Location", Artifact::Inline("Body"))]
        }
        _ => &[],
    }
}

/// Packages `template` in place; relative paths are relative to `base`.
pub fn package(template: &mut Value, base: &Path) -> Result<(), String> {
    if let Some(code) = template.pointer_mut("/Globals/Function/CodeUri") {
        pack_code(code, base, "Globals.Function.CodeUri")?;
    }
    let Some(resources) = template.get_mut("Resources").and_then(Value::as_object_mut) else {
        return Ok(());
    };
    for (id, resource) in resources.iter_mut() {
        let ty = resource["Type"].as_str().unwrap_or_default().to_string();
        let Some(props) = resource
            .get_mut("Properties")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for (prop, kind) in artifacts(&ty) {
            let Some(value) = props.get_mut(*prop) else {
                continue;
            };
            let what = format!("{id}.{prop}");
            match kind {
                Artifact::Zip => pack_code(value, base, &what)?,
                Artifact::Inline(target) => {
                    let Some(local) = local_path(value, base) else {
                        continue;
                    };
                    let text = std::fs::read_to_string(&local)
                        .map_err(|e| format!("{what}: reading {}: {e}", local.display()))?;
                    let body = crate::template::parse(&text)
                        .map_err(|e| format!("{what}: {}: {e}", local.display()))?;
                    props.remove(*prop);
                    props.insert((*target).to_string(), body);
                }
            }
        }
    }
    Ok(())
}

/// The local file or folder a property names, or None (S3, objects, intrinsics).
fn local_path(value: &Value, base: &Path) -> Option<PathBuf> {
    let s = value.as_str()?;
    if s.starts_with("s3://") || s.starts_with("https://") || s.starts_with("http://") {
        return None;
    }
    let p = Path::new(s);
    Some(if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    })
}

fn pack_code(value: &mut Value, base: &Path, what: &str) -> Result<(), String> {
    let Some(local) = local_path(value, base) else {
        return Ok(());
    };
    if !local.exists() {
        return Err(format!("{what}: {} does not exist", local.display()));
    }
    let bytes = zip_path(&local, MAX_TEMPLATE_ZIP)
        .map_err(|e| format!("{what}: {e}; Lamina inlines packages into the template"))?;
    *value = packaged_value(&bytes);
    Ok(())
}

/// `{"LaminaZipBase64": ...}` for a zip.
pub fn packaged_value(zip: &[u8]) -> Value {
    json!({ PACKAGED_KEY: base64::engine::general_purpose::STANDARD.encode(zip) })
}

/// The zip of a folder (its files), of a single file, or a `.zip`/`.jar` as it is; at most
/// `max` bytes.
pub fn zip_path(local: &Path, max: usize) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(local).map_err(|e| format!("reading {}: {e}", local.display()))?;
    let is_archive = local
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"));
    let bytes = if meta.is_dir() {
        zip_files(&walk(local)?)?
    } else if is_archive {
        std::fs::read(local).map_err(|e| format!("reading {}: {e}", local.display()))?
    } else {
        let name = local
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{}: the file name is not UTF-8", local.display()))?
            .to_string();
        zip_files(&[(name, local.to_path_buf())])?
    };
    if bytes.len() > max {
        return Err(format!(
            "the package of {} is {} bytes, more than the {max} allowed",
            local.display(),
            bytes.len()
        ));
    }
    Ok(bytes)
}

/// Where a relative artifact path lies under `root`, or why it may not be read: absolute
/// paths and paths that climb out of the root are refused (the path comes from the network).
pub fn under_root(root: &Path, rel: &str) -> Result<PathBuf, String> {
    let p = Path::new(rel);
    if p.is_absolute() {
        return Err(
            "it is an absolute path (only paths relative to the code root are read)".into(),
        );
    }
    let mut depth: i64 = 0;
    for c in p.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err("it is an absolute path".into());
            }
        }
        if depth < 0 {
            return Err("it leads out of the code root".into());
        }
    }
    Ok(root.join(p))
}

/// Every file under `dir` as (name relative to `dir`, path), sorted by name.
fn walk(dir: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    fn visit(
        dir: &Path,
        prefix: &str,
        depth: usize,
        out: &mut Vec<(String, PathBuf)>,
    ) -> Result<(), String> {
        if depth > MAX_DIR_DEPTH {
            return Err(format!(
                "{} is nested too deeply (a symlink loop?)",
                dir.display()
            ));
        }
        let read = |e: std::io::Error| format!("reading {}: {e}", dir.display());
        for entry in std::fs::read_dir(dir).map_err(read)? {
            let entry = entry.map_err(read)?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // Follows symlinks, as SAM CLI does.
            let meta =
                std::fs::metadata(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
            if meta.is_dir() {
                visit(&path, &rel, depth + 1, out)?;
            } else {
                out.push((rel, path));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    visit(dir, "", 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn zip_files(files: &[(String, PathBuf)]) -> Result<Vec<u8>, String> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    let zerr = |e: zip::result::ZipError| format!("zipping: {e}");
    for (name, path) in files {
        let data = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode(path)?);
        w.start_file(name.as_str(), opts).map_err(zerr)?;
        w.write_all(&data).map_err(|e| format!("zipping: {e}"))?;
    }
    w.finish().map_err(zerr)?;
    Ok(buf.into_inner())
}

#[cfg(unix)]
fn mode(path: &Path) -> Result<u32, String> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)
        .map_err(|e| format!("reading {}: {e}", path.display()))?
        .permissions()
        .mode()
        & 0o777)
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> Result<u32, String> {
    Ok(0o644)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/srv/code");
        assert_eq!(
            under_root(root, "src/items/").unwrap(),
            PathBuf::from("/srv/code/src/items/")
        );
        assert_eq!(
            under_root(root, "./a/../b").unwrap(),
            PathBuf::from("/srv/code/./a/../b")
        );
        assert!(under_root(root, "../etc").is_err());
        assert!(under_root(root, "a/../../etc").is_err());
        assert!(under_root(root, "/etc/passwd").is_err());
    }
}
