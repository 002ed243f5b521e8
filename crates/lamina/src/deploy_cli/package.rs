//! Packaging a template's local artifacts into the template itself.
//!
//! Code folders are zipped the way Python's `zipfile` (and so SAM CLI) does it: every file
//! under the folder, named relative to it with `/` separators, in a stable (sorted) order,
//! deflated, with its Unix permission bits kept (an executable `bootstrap` stays
//! executable). A path to a `.zip`/`.jar` file is taken as is; a path to another file is
//! zipped alone. `s3://` locations and values that are not strings are left untouched.

use anyhow::{Context, bail};
use base64::Engine as _;
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The key of the packaged-code extension the engine accepts.
const PACKAGED_KEY: &str = lamina_cloudformation::sam::PACKAGED_KEY;

/// Deeper folders than this are not followed (a symlink loop would never end).
const MAX_DIR_DEPTH: usize = 32;

/// Packaged code larger than this is refused (the template must stay within 1 MB).
const MAX_ZIP: usize = 700 * 1024;

/// Reads and packages the template at `path`; the packaged template as JSON.
pub fn package_file(path: &Path) -> anyhow::Result<Value> {
    let body = std::fs::read_to_string(path)
        .with_context(|| format!("reading template {}", path.display()))?;
    let mut template = lamina_cloudformation::template::parse(&body)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
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
pub fn package(template: &mut Value, base: &Path) -> anyhow::Result<()> {
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
                        .with_context(|| format!("{what}: reading {}", local.display()))?;
                    let body = lamina_cloudformation::template::parse(&text)
                        .map_err(|e| anyhow::anyhow!("{what}: {}: {e}", local.display()))?;
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

fn pack_code(value: &mut Value, base: &Path, what: &str) -> anyhow::Result<()> {
    let Some(local) = local_path(value, base) else {
        return Ok(());
    };
    let meta = std::fs::metadata(&local)
        .with_context(|| format!("{what}: {} does not exist", local.display()))?;
    let is_archive = local
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("zip") || e.eq_ignore_ascii_case("jar"));
    let bytes = if meta.is_dir() {
        zip_dir(&local)?
    } else if is_archive {
        std::fs::read(&local).with_context(|| format!("{what}: reading {}", local.display()))?
    } else {
        let name = local
            .file_name()
            .and_then(|n| n.to_str())
            .context("file name is not UTF-8")?
            .to_string();
        zip_files(&[(name, local.clone())])?
    };
    if bytes.len() > MAX_ZIP {
        bail!(
            "{what}: the package of {} is {} bytes; Lamina inlines packages into the template, \
             which holds at most {MAX_ZIP} bytes of code",
            local.display(),
            bytes.len()
        );
    }
    *value = json!({ PACKAGED_KEY: base64::engine::general_purpose::STANDARD.encode(bytes) });
    Ok(())
}

/// Every file under `dir` as (name relative to `dir`, path), sorted by name.
fn walk(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    fn visit(
        dir: &Path,
        prefix: &str,
        depth: usize,
        out: &mut Vec<(String, PathBuf)>,
    ) -> anyhow::Result<()> {
        if depth > MAX_DIR_DEPTH {
            bail!("{} is nested too deeply (a symlink loop?)", dir.display());
        }
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // Follows symlinks, as SAM CLI does.
            if std::fs::metadata(&path)?.is_dir() {
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

fn zip_dir(dir: &Path) -> anyhow::Result<Vec<u8>> {
    zip_files(&walk(dir)?)
}

fn zip_files(files: &[(String, PathBuf)]) -> anyhow::Result<Vec<u8>> {
    let mut buf = std::io::Cursor::new(Vec::new());
    let mut w = zip::ZipWriter::new(&mut buf);
    for (name, path) in files {
        let data = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode(path)?);
        w.start_file(name.as_str(), opts)?;
        w.write_all(&data)?;
    }
    w.finish()?;
    Ok(buf.into_inner())
}

#[cfg(unix)]
fn mode(path: &Path) -> anyhow::Result<u32> {
    use std::os::unix::fs::PermissionsExt;
    Ok(std::fs::metadata(path)?.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode(_path: &Path) -> anyhow::Result<u32> {
    Ok(0o644)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn folders_zip_relative_with_modes_and_templates_keep_tags() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir_all(src.join("pkg")).unwrap();
        std::fs::write(src.join("app.py"), "def h(e, c):\n    return 1\n").unwrap();
        std::fs::write(src.join("pkg/mod.py"), "X = 1\n").unwrap();
        std::fs::write(src.join("bootstrap"), "#!/bin/sh\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(
                src.join("bootstrap"),
                std::fs::Permissions::from_mode(0o755),
            )
            .unwrap();
        }
        std::fs::write(dir.path().join("api.json"), r#"{"openapi": "3.0.1"}"#).unwrap();
        let template = [
            "Transform: AWS::Serverless-2016-10-31",
            "Resources:",
            "  F:",
            "    Type: AWS::Serverless::Function",
            "    Properties: {CodeUri: src/, Handler: app.h, Role: !GetAtt R.Arn}",
            "  S3Code:",
            "    Type: AWS::Serverless::Function",
            "    Properties: {CodeUri: 's3://bucket/key.zip'}",
            "  A:",
            "    Type: AWS::Serverless::Api",
            "    Properties: {DefinitionUri: api.json}",
        ]
        .join("\n");
        let path = dir.path().join("template.yaml");
        std::fs::write(&path, template).unwrap();
        let t = package_file(&path).unwrap();
        assert_eq!(
            t["Resources"]["F"]["Properties"]["Role"],
            json!({"Fn::GetAtt": ["R", "Arn"]})
        );
        assert_eq!(
            t["Resources"]["S3Code"]["Properties"]["CodeUri"],
            "s3://bucket/key.zip"
        );
        assert_eq!(
            t["Resources"]["A"]["Properties"]["DefinitionBody"],
            json!({"openapi": "3.0.1"})
        );
        assert!(
            t["Resources"]["A"]["Properties"]
                .get("DefinitionUri")
                .is_none()
        );
        let b64 = t["Resources"]["F"]["Properties"]["CodeUri"][PACKAGED_KEY]
            .as_str()
            .unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let names: Vec<String> = z.file_names().map(String::from).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, ["app.py", "bootstrap", "pkg/mod.py"]);
        let mut f = z.by_name("pkg/mod.py").unwrap();
        let mut s = String::new();
        f.read_to_string(&mut s).unwrap();
        assert_eq!(s, "X = 1\n");
        drop(f);
        #[cfg(unix)]
        assert_eq!(
            z.by_name("bootstrap").unwrap().unix_mode().unwrap() & 0o777,
            0o755
        );
    }

    #[test]
    fn missing_code_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.json");
        std::fs::write(
            &path,
            r#"{"Resources": {"F": {"Type": "AWS::Lambda::Function", "Properties": {"Code": "nope/"}}}}"#,
        )
        .unwrap();
        let e = package_file(&path).unwrap_err().to_string();
        assert!(e.contains("F.Code") && e.contains("does not exist"), "{e}");
    }
}
