//! STS through the `Service` interface against the in-memory store: what a client sees.

use lamina_core::{AwsError, Input, RequestContext, Service};
use lamina_storage::Store;
use lamina_storage_memory::MemoryStore;
use lamina_sts::{Credentials, StsService};
use serde_json::{Value, json};
use std::sync::Arc;

const ACCOUNT: &str = "000000000000";

fn ctx(access_key_id: &str) -> RequestContext {
    RequestContext {
        request_id: "req-1".into(),
        account_id: ACCOUNT.into(),
        region: "us-east-1".into(),
        access_key_id: access_key_id.into(),
        endpoint: "http://localhost:4566".into(),
    }
}

fn setup() -> (Arc<dyn Store>, StsService) {
    let store: Arc<dyn Store> = MemoryStore::new();
    (store.clone(), StsService::new(store))
}

async fn call(svc: &StsService, key: &str, op: &str, input: Value) -> Result<Value, AwsError> {
    svc.call(
        &ctx(key),
        op,
        Input {
            value: input,
            payload: None,
        },
    )
    .await
    .map(|o| o.value)
}

async fn assume(svc: &StsService, key: &str, input: Value) -> Value {
    call(svc, key, "AssumeRole", input)
        .await
        .expect("AssumeRole succeeds")
}

fn now() -> i64 {
    (lamina_core::now_epoch_millis() / 1000) as i64
}

#[tokio::test]
async fn root_identity_for_keys_lamina_did_not_issue() {
    let (_, svc) = setup();
    for key in ["test", "AKIAIOSFODNN7EXAMPLE", "ASIAIOSFODNN7EXAMPLE", ""] {
        let out = call(&svc, key, "GetCallerIdentity", json!({}))
            .await
            .unwrap();
        assert_eq!(
            out,
            json!({"UserId": ACCOUNT, "Account": ACCOUNT, "Arn": "arn:aws:iam::000000000000:root"}),
            "{key}"
        );
    }
    // The codec may pass no input at all for an operation without members.
    let out = call(&svc, "test", "GetCallerIdentity", Value::Null)
        .await
        .unwrap();
    assert_eq!(out["Account"], ACCOUNT);
}

#[tokio::test]
async fn assume_role_then_caller_identity_is_the_role_session() {
    let (_, svc) = setup();
    let before = now();
    let out = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/ops/deployer", "RoleSessionName": "ci-run", "DurationSeconds": 900}),
    )
    .await;
    let c = &out["Credentials"];
    let akid = c["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA") && akid.len() == 20, "{akid}");
    assert!(
        akid.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    );
    assert_eq!(c["SecretAccessKey"].as_str().unwrap().len(), 40);
    assert!(c["SessionToken"].as_str().unwrap().len() > 100);
    let exp = c["Expiration"].as_i64().unwrap();
    assert!((before + 900..=now() + 900).contains(&exp), "{exp}");

    let user = &out["AssumedRoleUser"];
    assert_eq!(
        user["Arn"],
        "arn:aws:sts::123456789012:assumed-role/deployer/ci-run"
    );
    let role_id = user["AssumedRoleId"].as_str().unwrap();
    assert!(
        role_id.starts_with("AROA") && role_id.ends_with(":ci-run"),
        "{role_id}"
    );
    assert!(
        out.get("PackedPolicySize").is_none(),
        "no policies, no size: {out}"
    );

    let me = call(&svc, akid, "GetCallerIdentity", json!({}))
        .await
        .unwrap();
    assert_eq!(
        me,
        json!({"UserId": role_id, "Account": "123456789012", "Arn": "arn:aws:sts::123456789012:assumed-role/deployer/ci-run"})
    );

    // The role id is stable for the role; the keys are new each time.
    let again = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/ops/deployer", "RoleSessionName": "other"}),
    )
    .await;
    let again_id = again["AssumedRoleUser"]["AssumedRoleId"].as_str().unwrap();
    assert_eq!(again_id.split(':').next(), role_id.split(':').next());
    assert_ne!(again["Credentials"]["AccessKeyId"], c["AccessKeyId"]);
    let default_exp = again["Credentials"]["Expiration"].as_i64().unwrap();
    assert!(
        default_exp >= before + 3600 && default_exp <= now() + 3600,
        "default is one hour"
    );
}

#[tokio::test]
async fn credentials_survive_in_the_store_and_resolve_for_other_services() {
    let (store, svc) = setup();
    let out = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/app", "RoleSessionName": "s1"}),
    )
    .await;
    let akid = out["Credentials"]["AccessKeyId"].as_str().unwrap();

    let found = Credentials::lookup(store.as_ref(), akid)
        .await
        .unwrap()
        .expect("issued key is found");
    assert_eq!(found.role_arn(), Some("arn:aws:iam::123456789012:role/app"));
    assert_eq!(
        found.secret_access_key,
        out["Credentials"]["SecretAccessKey"].as_str().unwrap()
    );
    assert_eq!(
        found.session_token,
        out["Credentials"]["SessionToken"].as_str().unwrap()
    );
    assert_eq!(
        found.expiration,
        out["Credentials"]["Expiration"].as_i64().unwrap()
    );
    assert!(!found.is_expired(now()));

    // A new service instance over the same store (a restart) still knows the key.
    let restarted = StsService::new(store.clone());
    let me = call(&restarted, akid, "GetCallerIdentity", json!({}))
        .await
        .unwrap();
    assert_eq!(me["Arn"], "arn:aws:sts::123456789012:assumed-role/app/s1");

    assert!(
        Credentials::lookup(store.as_ref(), "ASIAAAAAAAAAAAAAAAAA")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        Credentials::lookup(store.as_ref(), "test")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn expired_credentials_get_expired_token() {
    let (store, svc) = setup();
    let out = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/app", "RoleSessionName": "s1"}),
    )
    .await;
    let akid = out["Credentials"]["AccessKeyId"].as_str().unwrap();

    // Age the stored record past its expiration, as time passing would.
    let mut rec = Credentials::lookup(store.as_ref(), akid)
        .await
        .unwrap()
        .unwrap();
    rec.expiration = now() - 1;
    let key = lamina_storage::key::join(&["123456789012", "credentials", akid]);
    let mut batch = lamina_storage::WriteBatch::new();
    batch.put(lamina_sts::TREE, key, serde_json::to_vec(&rec).unwrap());
    store.commit(batch).await.unwrap();

    for op in ["GetCallerIdentity", "GetSessionToken"] {
        let err = call(&svc, akid, op, json!({})).await.unwrap_err();
        assert_eq!(err.code.code, "ExpiredToken", "{op}");
        assert_eq!(err.status(), 403);
        assert_eq!(
            err.message,
            "The security token included in the request is expired"
        );
    }
}

#[tokio::test]
async fn invalid_role_arn_is_a_validation_error() {
    let (_, svc) = setup();
    for arn in [
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:s3:::my-bucket/role/app",
        "arn:aws:iam::1234:role/app-with-long-name",
        "not-an-arn-but-long-enough",
    ] {
        let err = call(
            &svc,
            "test",
            "AssumeRole",
            json!({"RoleArn": arn, "RoleSessionName": "s1"}),
        )
        .await
        .unwrap_err();
        assert_eq!(err.code.code, "ValidationError", "{arn}");
        assert_eq!(err.status(), 400);
        assert_eq!(err.message, format!("{arn} is invalid"));
    }
}

#[tokio::test]
async fn role_chaining_is_limited_to_one_hour() {
    let (_, svc) = setup();
    let first = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/a", "RoleSessionName": "s1"}),
    )
    .await;
    let akid = first["Credentials"]["AccessKeyId"].as_str().unwrap();
    let err = call(
        &svc,
        akid,
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/b", "RoleSessionName": "s2", "DurationSeconds": 7200}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code.code, "ValidationError");
    assert!(
        err.message
            .contains("1 hour session limit for roles assumed by role chaining"),
        "{}",
        err.message
    );

    let second = assume(
        &svc,
        akid,
        json!({"RoleArn": "arn:aws:iam::123456789012:role/b", "RoleSessionName": "s2"}),
    )
    .await;
    let me = call(
        &svc,
        second["Credentials"]["AccessKeyId"].as_str().unwrap(),
        "GetCallerIdentity",
        json!({}),
    )
    .await
    .unwrap();
    assert_eq!(me["Arn"], "arn:aws:sts::123456789012:assumed-role/b/s2");
}

#[tokio::test]
async fn transitive_tags_carry_over_to_chained_sessions() {
    let (store, svc) = setup();
    let first = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/a", "RoleSessionName": "s1",
               "Tags": [{"Key": "team", "Value": "blue"}, {"Key": "temp", "Value": "x"}],
               "TransitiveTagKeys": ["team"]}),
    )
    .await;
    assert!(
        first["PackedPolicySize"].as_u64().is_some_and(|p| p >= 1),
        "{first}"
    );
    let akid = first["Credentials"]["AccessKeyId"].as_str().unwrap();
    let second = assume(
        &svc,
        akid,
        json!({"RoleArn": "arn:aws:iam::123456789012:role/b", "RoleSessionName": "s2"}),
    )
    .await;
    let rec = Credentials::lookup(
        store.as_ref(),
        second["Credentials"]["AccessKeyId"].as_str().unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(rec.tags, vec![("team".to_string(), "blue".to_string())]);
    assert_eq!(rec.transitive_tag_keys, vec!["team".to_string()]);
}

#[tokio::test]
async fn session_policies_are_sized_and_checked() {
    let (_, svc) = setup();
    let policy = r#"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}"#;
    let out = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/a", "RoleSessionName": "s1", "Policy": policy,
               "SourceIdentity": "alice"}),
    )
    .await;
    let size = out["PackedPolicySize"].as_u64().unwrap();
    assert!((1..=10).contains(&size), "{size}");
    assert_eq!(out["SourceIdentity"], "alice");

    let err = call(
        &svc,
        "test",
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/a", "RoleSessionName": "s1", "Policy": "{not json"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code.code, "MalformedPolicyDocument");
    assert_eq!(err.status(), 400);

    let big = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
        "Resource": (0..100).map(|i| format!("arn:aws:s3:::bucket-{i}/*")).collect::<Vec<_>>()}]});
    let err = call(
        &svc,
        "test",
        "AssumeRole",
        json!({"RoleArn": "arn:aws:iam::123456789012:role/a", "RoleSessionName": "s1", "Policy": big.to_string()}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.code.code, "PackedPolicyTooLarge");
    assert!(
        err.message.starts_with("Packed policy consumes "),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn get_session_token_for_root_is_one_hour_and_reports_root() {
    let (_, svc) = setup();
    let before = now();
    let out = call(
        &svc,
        "test",
        "GetSessionToken",
        json!({"DurationSeconds": 7200}),
    )
    .await
    .unwrap();
    let c = &out["Credentials"];
    let exp = c["Expiration"].as_i64().unwrap();
    assert!(
        exp >= before + 3600 && exp <= now() + 3600,
        "root sessions are held to one hour"
    );
    let akid = c["AccessKeyId"].as_str().unwrap();
    assert!(akid.starts_with("ASIA"));

    let me = call(&svc, akid, "GetCallerIdentity", json!({}))
        .await
        .unwrap();
    assert_eq!(me["Arn"], "arn:aws:iam::000000000000:root");

    let err = call(&svc, akid, "GetSessionToken", json!({}))
        .await
        .unwrap_err();
    assert_eq!((err.code.code, err.status()), ("AccessDenied", 403));
}

#[tokio::test]
async fn access_key_info_names_the_account() {
    let (_, svc) = setup();
    let out = call(
        &svc,
        "test",
        "GetAccessKeyInfo",
        json!({"AccessKeyId": "AKIAIOSFODNN7EXAMPLE"}),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"Account": ACCOUNT}));

    let assumed = assume(
        &svc,
        "test",
        json!({"RoleArn": "arn:aws:iam::210987654321:role/x", "RoleSessionName": "s1"}),
    )
    .await;
    let akid = assumed["Credentials"]["AccessKeyId"].as_str().unwrap();
    let out = call(
        &svc,
        "test",
        "GetAccessKeyInfo",
        json!({"AccessKeyId": akid}),
    )
    .await
    .unwrap();
    assert_eq!(out, json!({"Account": "210987654321"}));
}

#[tokio::test]
async fn unimplemented_operations_say_so() {
    let (_, svc) = setup();
    assert!(!svc.implemented().contains(&"AssumeRoleWithWebIdentity"));
    for op in svc.implemented() {
        assert!(
            lamina_model::generated::sts::OPERATIONS.contains(op),
            "{op}"
        );
    }
    let err = call(&svc, "test", "GetFederationToken", json!({"Name": "bob"}))
        .await
        .unwrap_err();
    assert_eq!(err.status(), 501);
    assert!(err.message.contains("GetFederationToken"));
}
