//! `lamina serve` options: each flag also reads an environment variable; flags win.

use std::path::PathBuf;
use std::time::Duration;

pub const USAGE: &str = "\
Lamina — a serverless cloud in one binary, behind the AWS wire protocols

USAGE:
    lamina serve [OPTIONS]     run the server
    lamina invoke <FUNCTION> [--payload JSON] [--qualifier Q] [--endpoint URL]
                               invoke a function on a running Lamina; prints the response,
                               exits 1 on a function error
    lamina logs <FUNCTION> [--follow] [--endpoint URL]
                               print the function's CloudWatch Logs (/aws/lambda/<FUNCTION>)
                               (endpoint: $LAMINA_ENDPOINT, $AWS_ENDPOINT_URL, http://127.0.0.1:4566)
    lamina codec               read codec requests as JSON lines on stdin (test oracle)
    lamina --version

OPTIONS (each also settable by the environment variable shown):
    --bind <ADDR>          address to listen on            LAMINA_BIND        [127.0.0.1]
    --port <PORT>          port (0 picks a free one)       LAMINA_PORT        [4566]
    --data-dir <DIR>       where state is kept             LAMINA_DATA_DIR    [./.lamina]
    --in-memory            keep state in memory only       LAMINA_IN_MEMORY=1
    --cache-size <MIB>     the store's page cache, MiB     LAMINA_CACHE_SIZE  [64]
    --region <REGION>      default region                  LAMINA_REGION      [us-east-1]
    --account-id <ID>      account id of the default user  LAMINA_ACCOUNT_ID  [000000000000]
    --auth <MODE>          accept (any key) | verify (SigV4) LAMINA_AUTH      [accept]
    --log <FILTER>         log filter (tracing syntax)     LAMINA_LOG         [info]
    --dynamodb-enforce-throughput  throttle PROVISIONED tables  LAMINA_DYNAMODB_ENFORCE_THROUGHPUT=1
    --code-root <DIR>      where CloudFormation reads a relative local CodeUri
                                                           LAMINA_CODE_ROOT   [working directory]
    --sns-ca-file <FILE>   PEM certificates trusted for SNS https subscriptions besides the
                           built-in webpki roots (a private CA, a self-signed endpoint)
                                                           LAMINA_SNS_CA_FILE
    --sns-https-insecure   SNS https deliveries accept any certificate (local testing only)
                                                           LAMINA_SNS_HTTPS_INSECURE=1

LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS=60000,120000 sets the waits before the retries of failed
asynchronous Lambda invocations (AWS's are about 1 and 2 minutes; tests use short ones).

With --auth verify, the root credentials are LAMINA_ACCESS_KEY_ID / LAMINA_SECRET_ACCESS_KEY
(default test / test); credentials issued by STS AssumeRole are accepted until they expire.
";

#[derive(Debug, Clone, PartialEq)]
pub struct ServeConfig {
    pub bind: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub in_memory: bool,
    /// The durable store's page cache in MiB (`--cache-size`).
    pub cache_size_mib: usize,
    pub region: String,
    pub account_id: String,
    pub auth: String,
    pub log: String,
    /// Enforce DynamoDB provisioned throughput (`ProvisionedThroughputExceededException`).
    pub dynamodb_enforce_throughput: bool,
    pub root_access_key_id: String,
    pub root_secret_access_key: String,
    /// `LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS`: waits before async retries (None: AWS's).
    pub lambda_async_retry_delays: Option<Vec<Duration>>,
    /// Where the SAM transform reads a relative local `CodeUri`/`ContentUri` (absolute).
    pub code_root: PathBuf,
    /// `--sns-ca-file`: extra trusted certificates (PEM) for SNS https deliveries (absolute).
    pub sns_ca_file: Option<PathBuf>,
    /// `--sns-https-insecure`: SNS https deliveries skip certificate verification.
    pub sns_https_insecure: bool,
}

/// `dir` made absolute against the working directory (a later `cd` must not move it).
fn absolute(dir: PathBuf) -> PathBuf {
    if dir.is_absolute() {
        return dir;
    }
    match std::env::current_dir() {
        Ok(cwd) => cwd.join(dir),
        Err(_) => dir,
    }
}

/// `60000,120000` → the delays.
fn parse_delays(v: &str) -> Result<Vec<Duration>, String> {
    let delays = v
        .split(',')
        .map(|p| p.trim().parse::<u64>().map(Duration::from_millis))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| {
            format!("LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS: not a list of milliseconds: {v}")
        })?;
    if delays.is_empty() {
        return Err("LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS: empty".into());
    }
    Ok(delays)
}

/// A cache size in MiB: a whole number up to 1 TiB.
fn parse_mib(v: &str) -> Result<usize, String> {
    v.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| *n <= 1 << 20)
        .ok_or_else(|| format!("not a size in MiB (0 to 1048576): {v}"))
}

impl ServeConfig {
    /// Reads flags over environment over defaults. `env` is injected for tests.
    pub fn parse(args: &[String], env: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let mut c = ServeConfig {
            bind: env("LAMINA_BIND").unwrap_or_else(|| "127.0.0.1".into()),
            port: match env("LAMINA_PORT") {
                Some(p) => p
                    .parse()
                    .map_err(|_| format!("LAMINA_PORT: not a port: {p}"))?,
                None => 4566,
            },
            data_dir: env("LAMINA_DATA_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| ".lamina".into()),
            in_memory: env("LAMINA_IN_MEMORY")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            cache_size_mib: match env("LAMINA_CACHE_SIZE") {
                Some(v) => parse_mib(&v).map_err(|e| format!("LAMINA_CACHE_SIZE: {e}"))?,
                None => 64,
            },
            region: env("LAMINA_REGION").unwrap_or_else(|| "us-east-1".into()),
            account_id: env("LAMINA_ACCOUNT_ID").unwrap_or_else(|| "000000000000".into()),
            auth: env("LAMINA_AUTH").unwrap_or_else(|| "accept".into()),
            log: env("LAMINA_LOG").unwrap_or_else(|| "info".into()),
            dynamodb_enforce_throughput: env("LAMINA_DYNAMODB_ENFORCE_THROUGHPUT")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
            root_access_key_id: env("LAMINA_ACCESS_KEY_ID").unwrap_or_else(|| "test".into()),
            root_secret_access_key: env("LAMINA_SECRET_ACCESS_KEY")
                .unwrap_or_else(|| "test".into()),
            lambda_async_retry_delays: env("LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS")
                .map(|v| parse_delays(&v))
                .transpose()?,
            code_root: env("LAMINA_CODE_ROOT")
                .map(PathBuf::from)
                .unwrap_or_else(|| ".".into()),
            sns_ca_file: env("LAMINA_SNS_CA_FILE")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            sns_https_insecure: env("LAMINA_SNS_HTTPS_INSECURE")
                .is_some_and(|v| matches!(v.as_str(), "1" | "true" | "yes")),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let mut value = || -> Result<String, String> {
                inline
                    .clone()
                    .or_else(|| it.next().cloned())
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            match flag {
                "--bind" => c.bind = value()?,
                "--port" => {
                    let v = value()?;
                    c.port = v.parse().map_err(|_| format!("--port: not a port: {v}"))?;
                }
                "--data-dir" => c.data_dir = PathBuf::from(value()?),
                "--in-memory" => c.in_memory = true,
                "--cache-size" => {
                    c.cache_size_mib =
                        parse_mib(&value()?).map_err(|e| format!("--cache-size: {e}"))?;
                }
                "--region" => c.region = value()?,
                "--account-id" => c.account_id = value()?,
                "--auth" => c.auth = value()?,
                "--log" => c.log = value()?,
                "--dynamodb-enforce-throughput" => c.dynamodb_enforce_throughput = true,
                "--code-root" => c.code_root = PathBuf::from(value()?),
                "--sns-ca-file" => c.sns_ca_file = Some(PathBuf::from(value()?)),
                "--sns-https-insecure" => c.sns_https_insecure = true,
                other => return Err(format!("unknown option: {other}")),
            }
        }
        if !(c.account_id.len() == 12 && c.account_id.bytes().all(|b| b.is_ascii_digit())) {
            return Err(format!(
                "--account-id must be 12 digits, got {}",
                c.account_id
            ));
        }
        if !matches!(c.auth.as_str(), "accept" | "verify") {
            return Err(format!("--auth must be accept or verify, got {}", c.auth));
        }
        if c.region.is_empty() {
            return Err("--region must not be empty".into());
        }
        c.code_root = absolute(c.code_root);
        c.sns_ca_file = c.sns_ca_file.map(absolute);
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn defaults() {
        let c = ServeConfig::parse(&[], |_| None).unwrap();
        assert_eq!(c.port, 4566);
        assert_eq!(c.bind, "127.0.0.1");
        assert_eq!(c.data_dir, PathBuf::from(".lamina"));
        assert!(!c.in_memory);
        assert_eq!(c.region, "us-east-1");
        assert_eq!(c.account_id, "000000000000");
        assert_eq!(c.code_root, std::env::current_dir().unwrap().join("."));
    }

    #[test]
    fn sns_https_trust_from_flags_or_env() {
        let c = ServeConfig::parse(&[], |_| None).unwrap();
        assert_eq!((c.sns_ca_file, c.sns_https_insecure), (None, false));
        let env = |k: &str| match k {
            "LAMINA_SNS_CA_FILE" => Some("/etc/ca.pem".to_string()),
            "LAMINA_SNS_HTTPS_INSECURE" => Some("1".to_string()),
            _ => None,
        };
        let c = ServeConfig::parse(&[], env).unwrap();
        assert_eq!(c.sns_ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert!(c.sns_https_insecure);
        let c = ServeConfig::parse(&args("--sns-ca-file ca.pem --sns-https-insecure"), |_| None)
            .unwrap();
        assert_eq!(
            c.sns_ca_file,
            Some(std::env::current_dir().unwrap().join("ca.pem"))
        );
        assert!(c.sns_https_insecure);
    }

    #[test]
    fn cache_size() {
        assert_eq!(
            ServeConfig::parse(&[], |_| None).unwrap().cache_size_mib,
            64
        );
        let env = |k: &str| (k == "LAMINA_CACHE_SIZE").then(|| "256".to_string());
        assert_eq!(ServeConfig::parse(&[], env).unwrap().cache_size_mib, 256);
        let c = ServeConfig::parse(&args("--cache-size 16"), env).unwrap();
        assert_eq!(c.cache_size_mib, 16);
        assert!(ServeConfig::parse(&args("--cache-size 1G"), |_| None).is_err());
        assert!(ServeConfig::parse(&args("--cache-size -1"), |_| None).is_err());
        let bad = |k: &str| (k == "LAMINA_CACHE_SIZE").then(|| "lots".to_string());
        assert!(ServeConfig::parse(&[], bad).is_err());
    }

    #[test]
    fn code_root_from_flag_or_env() {
        let env = |k: &str| (k == "LAMINA_CODE_ROOT").then(|| "/srv/env".to_string());
        assert_eq!(
            ServeConfig::parse(&[], env).unwrap().code_root,
            PathBuf::from("/srv/env")
        );
        let c = ServeConfig::parse(&args("--code-root /srv/flag"), env).unwrap();
        assert_eq!(c.code_root, PathBuf::from("/srv/flag"));
        let c = ServeConfig::parse(&args("--code-root examples/app"), |_| None).unwrap();
        assert_eq!(
            c.code_root,
            std::env::current_dir().unwrap().join("examples/app")
        );
    }

    #[test]
    fn flags_win_over_env() {
        let env = |k: &str| match k {
            "LAMINA_PORT" => Some("5000".to_string()),
            "LAMINA_REGION" => Some("eu-west-1".to_string()),
            "LAMINA_IN_MEMORY" => Some("1".to_string()),
            _ => None,
        };
        let c = ServeConfig::parse(&args("--port 6000 --data-dir=/tmp/x"), env).unwrap();
        assert_eq!(c.port, 6000);
        assert_eq!(c.region, "eu-west-1");
        assert!(c.in_memory);
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(ServeConfig::parse(&args("--port nope"), |_| None).is_err());
        assert!(ServeConfig::parse(&args("--account-id 123"), |_| None).is_err());
        assert!(ServeConfig::parse(&args("--auth maybe"), |_| None).is_err());
        assert!(ServeConfig::parse(&args("--what"), |_| None).is_err());
        assert!(ServeConfig::parse(&args("--port"), |_| None).is_err());
        let bad = |k: &str| (k == "LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS").then(|| "1,x".to_string());
        assert!(ServeConfig::parse(&[], bad).is_err());
    }

    #[test]
    fn lambda_retry_delays_from_the_environment() {
        assert_eq!(
            ServeConfig::parse(&[], |_| None)
                .unwrap()
                .lambda_async_retry_delays,
            None
        );
        let env =
            |k: &str| (k == "LAMINA_LAMBDA_ASYNC_RETRY_DELAYS_MS").then(|| "100, 250".to_string());
        assert_eq!(
            ServeConfig::parse(&[], env)
                .unwrap()
                .lambda_async_retry_delays,
            Some(vec![Duration::from_millis(100), Duration::from_millis(250)])
        );
    }
}
