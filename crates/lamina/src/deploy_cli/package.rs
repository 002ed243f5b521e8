//! Packaging a template's local artifacts into the template itself: the shared code in
//! [`lamina_cloudformation::package`] (the server uses it too, for relative `CodeUri`s under
//! its code root), with the client's limits and errors.

#[cfg(test)]
use base64::Engine as _;
#[cfg(test)]
use serde_json::json;
use serde_json::Value;
use std::path::Path;

/// The key of the packaged-code extension the engine accepts.
#[cfg(test)]
const PACKAGED_KEY: &str = lamina_cloudformation::sam::PACKAGED_KEY;

/// Reads and packages the template at `path`; the packaged template as JSON.
pub fn package_file(path: &Path) -> anyhow::Result<Value> {
    lamina_cloudformation::package::package_file(path).map_err(anyhow::Error::msg)
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
