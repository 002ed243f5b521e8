//! Routing and binding tables.

use super::*;
use crate::HttpRequest;
use serde_json::json;

pub(crate) fn req(method: &str, uri: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpRequest {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut h = http::HeaderMap::new();
    for (k, v) in headers {
        h.append(
            http::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            http::HeaderValue::from_str(v).unwrap(),
        );
    }
    HttpRequest {
        method: method.parse().unwrap(),
        path: path.to_string(),
        query: query.to_string(),
        headers: h,
        body: bytes::Bytes::copy_from_slice(body),
    }
}

type Case<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)], &'a str);

fn check(service: &str, cases: &[Case<'_>]) {
    let model = lamina_model::get(service).unwrap();
    let mut failures = Vec::new();
    for (method, uri, headers, want) in cases {
        let got = match operation(model, &req(method, uri, headers, b"")) {
            Ok(op) => op.name.clone(),
            Err(e) => format!("error {}", e.code.code),
        };
        if got != *want {
            failures.push(format!(
                "{method} {uri} {headers:?}: want {want}, got {got}"
            ));
        }
    }
    assert!(failures.is_empty(), "{service}:\n{}", failures.join("\n"));
}

#[test]
fn lambda_routes() {
    check(
        "lambda",
        &[
            (
                "POST",
                "/2015-03-31/functions/my-fn/invocations",
                &[],
                "Invoke",
            ),
            (
                "POST",
                "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Af/invocations",
                &[],
                "Invoke",
            ),
            ("GET", "/2015-03-31/functions/my-fn", &[], "GetFunction"),
            (
                "GET",
                "/2015-03-31/functions/my-fn?Qualifier=1",
                &[],
                "GetFunction",
            ),
            (
                "GET",
                "/2015-03-31/functions/my-fn/configuration",
                &[],
                "GetFunctionConfiguration",
            ),
            ("GET", "/2015-03-31/functions", &[], "ListFunctions"),
            ("GET", "/2015-03-31/functions/", &[], "ListFunctions"),
            (
                "GET",
                "/2015-03-31/functions?MaxItems=10&Marker=abc",
                &[],
                "ListFunctions",
            ),
            ("POST", "/2015-03-31/functions", &[], "CreateFunction"),
            (
                "DELETE",
                "/2015-03-31/functions/my-fn",
                &[],
                "DeleteFunction",
            ),
            (
                "PUT",
                "/2015-03-31/functions/my-fn/code",
                &[],
                "UpdateFunctionCode",
            ),
            (
                "POST",
                "/2015-03-31/functions/my-fn/aliases",
                &[],
                "CreateAlias",
            ),
            (
                "GET",
                "/2015-03-31/functions/my-fn/aliases",
                &[],
                "ListAliases",
            ),
            (
                "GET",
                "/2015-03-31/functions/my-fn/aliases/live",
                &[],
                "GetAlias",
            ),
            (
                "PUT",
                "/2015-03-31/functions/my-fn/aliases/live",
                &[],
                "UpdateAlias",
            ),
            ("GET", "/2018-10-31/layers", &[], "ListLayers"),
            (
                "GET",
                "/2018-10-31/layers/my-layer/versions",
                &[],
                "ListLayerVersions",
            ),
            (
                "POST",
                "/2018-10-31/layers/my-layer/versions",
                &[],
                "PublishLayerVersion",
            ),
            (
                "GET",
                "/2018-10-31/layers/my-layer/versions/3",
                &[],
                "GetLayerVersion",
            ),
            (
                "GET",
                "/2018-10-31/layers?find=LayerVersion&Arn=arn",
                &[],
                "GetLayerVersionByArn",
            ),
            (
                "GET",
                "/2019-09-30/functions/f/provisioned-concurrency?List=ALL",
                &[],
                "ListProvisionedConcurrencyConfigs",
            ),
            (
                "GET",
                "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=live",
                &[],
                "GetProvisionedConcurrencyConfig",
            ),
            (
                "GET",
                "/2015-03-31/event-source-mappings/",
                &[],
                "ListEventSourceMappings",
            ),
            (
                "GET",
                "/2015-03-31/nope",
                &[],
                "error UnknownOperationException",
            ),
            (
                "PATCH",
                "/2015-03-31/functions/f",
                &[],
                "error UnknownOperationException",
            ),
        ],
    );
}

#[test]
fn apigateway_routes() {
    check(
        "apigateway",
        &[
            ("GET", "/restapis", &[], "GetRestApis"),
            ("POST", "/restapis", &[], "CreateRestApi"),
            ("POST", "/restapis?mode=import", &[], "ImportRestApi"),
            ("GET", "/restapis/abc123", &[], "GetRestApi"),
            ("GET", "/restapis/abc123/resources", &[], "GetResources"),
            ("GET", "/restapis/abc123/resources/r1", &[], "GetResource"),
            (
                "POST",
                "/restapis/abc123/resources/r1",
                &[],
                "CreateResource",
            ),
            (
                "PUT",
                "/restapis/abc123/resources/r1/methods/GET",
                &[],
                "PutMethod",
            ),
            (
                "PUT",
                "/restapis/abc123/resources/r1/methods/GET/integration",
                &[],
                "PutIntegration",
            ),
            (
                "POST",
                "/restapis/abc123/deployments",
                &[],
                "CreateDeployment",
            ),
            ("GET", "/restapis/abc123/stages/prod", &[], "GetStage"),
            (
                "POST",
                "/apikeys?mode=import&format=csv",
                &[],
                "ImportApiKeys",
            ),
            ("POST", "/apikeys", &[], "CreateApiKey"),
        ],
    );
}

#[test]
fn apigatewayv2_routes() {
    check(
        "apigatewayv2",
        &[
            ("GET", "/v2/apis", &[], "GetApis"),
            ("POST", "/v2/apis", &[], "CreateApi"),
            ("GET", "/v2/apis/a1", &[], "GetApi"),
            ("PATCH", "/v2/apis/a1", &[], "UpdateApi"),
            ("POST", "/v2/apis/a1/routes", &[], "CreateRoute"),
            ("GET", "/v2/apis/a1/routes/r1", &[], "GetRoute"),
            ("POST", "/v2/apis/a1/integrations", &[], "CreateIntegration"),
            (
                "DELETE",
                "/v2/apis/a1/stages/%24default",
                &[],
                "DeleteStage",
            ),
        ],
    );
}

#[test]
fn s3_routes() {
    let copy: &[(&str, &str)] = &[("x-amz-copy-source", "/src/key")];
    check(
        "s3",
        &[
            ("GET", "/", &[], "ListBuckets"),
            (
                "GET",
                "/?x-id=ListDirectoryBuckets",
                &[],
                "ListDirectoryBuckets",
            ),
            ("GET", "/bucket", &[], "ListObjects"),
            (
                "GET",
                "/bucket?list-type=2&prefix=a%2Fb",
                &[],
                "ListObjectsV2",
            ),
            ("GET", "/bucket?list-type=1", &[], "ListObjects"),
            ("PUT", "/bucket", &[], "CreateBucket"),
            ("HEAD", "/bucket", &[], "HeadBucket"),
            ("DELETE", "/bucket", &[], "DeleteBucket"),
            (
                "GET",
                "/bucket/dir/sub/file%20name%2B.txt",
                &[],
                "GetObject",
            ),
            ("GET", "/bucket/key?x-id=GetObject", &[], "GetObject"),
            ("HEAD", "/bucket/dir/key", &[], "HeadObject"),
            ("PUT", "/bucket/dir/key", &[], "PutObject"),
            ("PUT", "/bucket/dir/key?x-id=PutObject", &[], "PutObject"),
            ("PUT", "/bucket/dir/key", copy, "CopyObject"),
            (
                "PUT",
                "/bucket/dir/key?partNumber=1&uploadId=u",
                &[],
                "UploadPart",
            ),
            (
                "PUT",
                "/bucket/dir/key?partNumber=1&uploadId=u",
                copy,
                "UploadPartCopy",
            ),
            (
                "POST",
                "/bucket/dir/key?uploads",
                &[],
                "CreateMultipartUpload",
            ),
            (
                "POST",
                "/bucket/dir/key?uploadId=u",
                &[],
                "CompleteMultipartUpload",
            ),
            (
                "DELETE",
                "/bucket/dir/key?uploadId=u",
                &[],
                "AbortMultipartUpload",
            ),
            ("DELETE", "/bucket/dir/key", &[], "DeleteObject"),
            ("GET", "/bucket/dir/key?uploadId=u", &[], "ListParts"),
            ("GET", "/bucket?uploads", &[], "ListMultipartUploads"),
            ("POST", "/bucket?delete", &[], "DeleteObjects"),
            ("GET", "/bucket?versions", &[], "ListObjectVersions"),
            ("GET", "/bucket?location", &[], "GetBucketLocation"),
            ("PUT", "/bucket?tagging", &[], "PutBucketTagging"),
            ("GET", "/bucket/k?tagging", &[], "GetObjectTagging"),
            (
                "GET",
                "/bucket?lifecycle",
                &[],
                "GetBucketLifecycleConfiguration",
            ),
            (
                "PUT",
                "/bucket?notification",
                &[],
                "PutBucketNotificationConfiguration",
            ),
            (
                "GET",
                "/bucket?analytics&id=x",
                &[],
                "GetBucketAnalyticsConfiguration",
            ),
            (
                "GET",
                "/bucket?analytics",
                &[],
                "ListBucketAnalyticsConfigurations",
            ),
            ("GET", "/bucket/folder/", &[], "GetObject"),
            ("PATCH", "/bucket", &[], "error MethodNotAllowed"),
        ],
    );
}

#[test]
fn unknown_route_error_names_method_and_path() {
    let model = lamina_model::get("lambda").unwrap();
    let err = operation(model, &req("GET", "/nope?a=1", &[], b"")).unwrap_err();
    assert_eq!(err.code.status, 404);
    assert_eq!(err.message, "No operation matches GET /nope?a=1");
}

#[test]
fn greedy_labels_keep_slashes_and_decode() {
    let model = lamina_model::get("s3").unwrap();
    let (op, labels) = route::route(model, &req("GET", "/b/dir/a%20b%2Fc/", &[], b"")).unwrap();
    assert_eq!(op.name, "GetObject");
    assert_eq!(
        labels,
        vec![
            ("Bucket".to_string(), "b".to_string()),
            ("Key".to_string(), "dir/a b/c/".to_string())
        ]
    );
}

#[test]
fn s3_virtual_hosts_rewrite_to_path_style() {
    let cases = [
        (
            "my-bucket.s3.localhost:4566",
            "localhost:4566",
            "/key/a",
            Some("/my-bucket/key/a"),
        ),
        (
            "my-bucket.s3.localhost",
            "localhost",
            "/",
            Some("/my-bucket"),
        ),
        (
            "my.dotted.bucket.s3.us-east-1.localhost",
            "localhost",
            "/k",
            Some("/my.dotted.bucket/k"),
        ),
        ("b.s3-eu-west-1.localhost", "localhost", "/k", Some("/b/k")),
        ("b.localhost:4566", "localhost", "/k", Some("/b/k")),
        ("localhost:4566", "localhost", "/b/k", None),
        ("s3.localhost:4566", "localhost", "/b/k", None),
        ("s3.us-east-1.localhost", "localhost", "/b/k", None),
        ("example.com", "localhost", "/b/k", None),
    ];
    for (host, base, path, want) in cases {
        assert_eq!(
            s3_virtual_host_path(host, base, path).as_deref(),
            want,
            "{host}"
        );
    }
    let mut r = req(
        "GET",
        "/photo.jpg",
        &[("host", "pics.s3.localhost:4566")],
        b"",
    );
    assert!(rewrite_s3_virtual_host(&mut r, "localhost"));
    assert_eq!(r.path, "/pics/photo.jpg");
}

#[test]
fn bindings_read_labels_query_headers() {
    let model = lamina_model::get("s3").unwrap();
    let r = req(
        "GET",
        "/bkt/a/b%20c?versionId=v1&partNumber=2&response-expires=Wed%2C%2021%20Oct%202015%2007%3A28%3A00%20GMT",
        &[
            ("If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"),
            ("x-amz-checksum-mode", "ENABLED"),
        ],
        b"",
    );
    let op = operation(model, &r).unwrap();
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let got = bindings::parse_bindings(model, op, shape, &r).unwrap();
    assert_eq!(
        serde_json::Value::Object(got),
        json!({
            "Bucket": "bkt", "Key": "a/b c", "VersionId": "v1", "PartNumber": 2,
            "ResponseExpires": 1445412480, "IfModifiedSince": 1445412480,
            "ChecksumMode": "ENABLED"
        })
    );

    let r = req(
        "PUT",
        "/bkt/k",
        &[("x-amz-meta-Color", "blue"), ("x-amz-meta-size", "9")],
        b"",
    );
    let op = operation(model, &r).unwrap();
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let got = bindings::parse_bindings(model, op, shape, &r).unwrap();
    assert_eq!(got["Metadata"], json!({"color": "blue", "size": "9"}));

    let r = req(
        "GET",
        "/bkt/k?attributes",
        &[("x-amz-object-attributes", "ETag, \"Object,Size\"")],
        b"",
    );
    let op = operation(model, &r).unwrap();
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let got = bindings::parse_bindings(model, op, shape, &r).unwrap();
    assert_eq!(got["ObjectAttributes"], json!(["ETag", "Object,Size"]));

    let bad = req("GET", "/bkt/k?partNumber=x", &[], b"");
    let err = bindings::parse_bindings(model, op, shape, &bad);
    assert!(err.is_ok(), "GetObjectAttributes has no partNumber member");
    let op = model.operation("GetObject").unwrap();
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let err = bindings::parse_bindings(model, op, shape, &bad).unwrap_err();
    assert_eq!(err.code.code, "MalformedXML");
}

#[test]
fn query_maps_and_lists() {
    let model = lamina_model::get("apigateway").unwrap();
    let r = req(
        "POST",
        "/restapis?mode=import&failonwarnings=true&basepath=ignore&endpointConfigurationTypes=REGIONAL",
        &[],
        b"",
    );
    let op = operation(model, &r).unwrap();
    assert_eq!(op.name, "ImportRestApi");
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let got = bindings::parse_bindings(model, op, shape, &r).unwrap();
    assert_eq!(got["failOnWarnings"], json!(true));
    assert_eq!(
        got["parameters"],
        json!({"basepath": "ignore", "endpointConfigurationTypes": "REGIONAL"})
    );

    let model = lamina_model::get("lambda").unwrap();
    let r = req(
        "DELETE",
        "/2017-03-31/tags/arn%3Ax?tagKeys=a&tagKeys=b%20c",
        &[],
        b"",
    );
    let op = operation(model, &r).unwrap();
    assert_eq!(op.name, "UntagResource");
    let shape = model.shape(&op.input.as_ref().unwrap().shape).unwrap();
    let got = bindings::parse_bindings(model, op, shape, &r).unwrap();
    assert_eq!(
        serde_json::Value::Object(got),
        json!({"Resource": "arn:x", "TagKeys": ["a", "b c"]})
    );
}

#[test]
fn output_headers_and_status_are_written() {
    let model = lamina_model::get("s3").unwrap();
    let shape = model.shape("HeadObjectOutput").unwrap();
    let mut value = json!({
        "LastModified": 1445412480, "ContentLength": 12, "Metadata": {"color": "blue"},
        "DeleteMarker": false, "ETag": "\"abc\""
    });
    let mut headers = Vec::new();
    let status =
        bindings::write_bindings(model, shape, value.as_object_mut().unwrap(), &mut headers);
    assert_eq!(status, None);
    assert!(value.as_object().unwrap().is_empty());
    let h = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(h("Last-Modified"), Some("Wed, 21 Oct 2015 07:28:00 GMT"));
    assert_eq!(h("Content-Length"), Some("12"));
    assert_eq!(h("x-amz-meta-color"), Some("blue"));
    assert_eq!(h("x-amz-delete-marker"), Some("false"));

    let model = lamina_model::get("lambda").unwrap();
    let shape = model.shape("InvocationResponse").unwrap();
    let mut value = json!({"StatusCode": 202, "FunctionError": "Unhandled"});
    let mut headers = Vec::new();
    let status =
        bindings::write_bindings(model, shape, value.as_object_mut().unwrap(), &mut headers);
    assert_eq!(status, Some(202));
    assert_eq!(
        headers,
        vec![("X-Amz-Function-Error".to_string(), "Unhandled".to_string())]
    );
}
