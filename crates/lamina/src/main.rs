//! The `lamina` binary: CLI, configuration and the composition root — the only place that
//! picks storage backends and wires services into the gateway.

#[allow(dead_code)] // wired by CloudFormation (issue 7), which lands next
mod caller;
mod cli;
mod config;
mod deploy_cli;
mod lambda_routes;
mod streams_reader;

use anyhow::Context;
use config::{ServeConfig, USAGE};
use lamina_core::BoxFuture;
use lamina_gateway::{AuthMode, CredentialResolver, Gateway, GatewayConfig, ResolvedCredentials};
use lamina_storage::Store;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("serve") => {
            let cfg = match ServeConfig::parse(&args[1..], |k| std::env::var(k).ok()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("lamina: {e}\n\n{USAGE}");
                    std::process::exit(2);
                }
            };
            serve(cfg)
        }
        Some("invoke" | "logs") => match cli::parse(&args, |k| std::env::var(k).ok()) {
            Ok(cmd) => std::process::exit(cli::run(cmd)?),
            Err(e) => {
                eprintln!("lamina: {e}\n\n{USAGE}");
                std::process::exit(2);
            }
        },
        Some("deploy" | "package" | "delete") => {
            match deploy_cli::parse(&args, |k| std::env::var(k).ok()) {
                Ok(cmd) => std::process::exit(deploy_cli::run(cmd)?),
                Err(e) => {
                    eprintln!("lamina: {e}\n\n{USAGE}");
                    std::process::exit(2);
                }
            }
        }
        Some("codec") => {
            let stdin = std::io::stdin();
            let stdout = std::io::stdout();
            lamina_wire::oracle::run(stdin.lock(), stdout.lock())?;
            Ok(())
        }
        Some("--version" | "-V" | "version") => {
            println!("lamina {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        Some("--help" | "-h" | "help") => {
            print!("{USAGE}");
            Ok(())
        }
        _ => {
            eprint!("{USAGE}");
            std::process::exit(2);
        }
    }
}

fn serve(cfg: ServeConfig) -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_new(&cfg.log).context("--log filter")?)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .compact()
        .init();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(cfg))
}

async fn run(cfg: ServeConfig) -> anyhow::Result<()> {
    let (store, master_key): (Arc<dyn Store>, [u8; 32]) = if cfg.in_memory {
        (
            lamina_storage_memory::MemoryStore::new(),
            lamina_core::random_bytes(),
        )
    } else {
        std::fs::create_dir_all(&cfg.data_dir)
            .with_context(|| format!("creating data dir {}", cfg.data_dir.display()))?;
        let store = lamina_storage_redb::RedbStore::open_with_cache(
            &cfg.data_dir,
            cfg.cache_size_mib << 20,
        )
        .with_context(|| format!("opening the store in {}", cfg.data_dir.display()))?;
        (store, master_key(&cfg.data_dir)?)
    };

    let gw_config = GatewayConfig {
        region: cfg.region.clone(),
        account_id: cfg.account_id.clone(),
        auth: if cfg.auth == "verify" {
            AuthMode::Verify
        } else {
            AuthMode::Accept
        },
        ..GatewayConfig::default()
    };
    let resolver = Resolver {
        store: store.clone(),
        root_access_key_id: cfg.root_access_key_id.clone(),
        root_secret_access_key: cfg.root_secret_access_key.clone(),
        account_id: cfg.account_id.clone(),
    };
    let dynamodb = lamina_dynamodb::DynamoDb::new(
        store.clone(),
        lamina_dynamodb::DynamoDbConfig {
            enforce_throughput: cfg.dynamodb_enforce_throughput,
            ..Default::default()
        },
    );
    let dynamodb_sweeper = dynamodb.start_background();
    let logs = lamina_logs::Logs::new(store.clone(), Default::default());
    let logs_sweeper = logs.start_retention();
    let sqs = lamina_sqs::Sqs::new(store.clone(), Default::default());
    let sqs_sweeper = sqs.start_background();
    let shutdown = shutdown_signal()?;
    let listener = tokio::net::TcpListener::bind((cfg.bind.as_str(), cfg.port))
        .await
        .with_context(|| format!("binding {}:{}", cfg.bind, cfg.port))?;
    let addr = listener.local_addr()?;
    // Functions reach Lamina (AWS_ENDPOINT_URL) at the bound address.
    let mut function_endpoint = addr;
    if function_endpoint.ip().is_unspecified() {
        function_endpoint.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let lambda_dir = if cfg.in_memory {
        std::env::temp_dir().join(format!("lamina-lambda-{}", std::process::id()))
    } else {
        cfg.data_dir.join("lambda")
    };
    let mut lambda_config =
        lamina_lambda::LambdaConfig::new(lambda_dir, format!("http://{function_endpoint}"));
    if let Some(d) = cfg.lambda_async_retry_delays.clone() {
        lambda_config.async_retry_delays = d;
    }
    let lambda = lamina_lambda::Lambda::new(store.clone(), lambda_config, logs.clone());
    // Destinations and dead-letter queues of asynchronous invocations.
    lambda.set_queue_sender(sqs.clone());
    // Event source mappings read SQS through the bus.
    lambda.set_queue_consumer(sqs.clone());
    // ... and DynamoDB streams in process.
    lambda.set_stream_reader(Arc::new(streams_reader::DynamoDbStreams(dynamodb.clone())));
    // SNS delivers to SQS and Lambda through the bus; its URLs point at the bound address.
    let sns = lamina_sns::Sns::new(
        store.clone(),
        lamina_sns::SnsConfig {
            endpoint: format!("http://{function_endpoint}"),
            https: lamina_sns::HttpsOptions {
                ca_file: cfg.sns_ca_file.clone(),
                insecure: cfg.sns_https_insecure,
            },
            ..Default::default()
        },
    );
    // An unreadable --sns-ca-file stops the start rather than failing every https delivery.
    sns.check_https()
        .map_err(|e| anyhow::anyhow!("--sns-ca-file: {e}"))?;
    sns.set_queue_sender(sqs.clone());
    sns.set_invoker(lambda.clone());
    lambda.set_topic_publisher(Arc::new(sns.clone()));
    let sns_delivery = sns.start_background();
    // EventBridge delivers rule targets to Lambda, SQS and SNS through the bus.
    let events = lamina_events::Events::new(store.clone());
    events.set_invoker(lambda.clone());
    events.set_queue_sender(sqs.clone());
    events.set_topic_publisher(Arc::new(sns.clone()));
    let events_scheduler = events.start_scheduler();
    // API Gateway: one state for both control planes and the invoke-URL data plane; functions
    // are reached through the bus.
    let apigateway =
        lamina_apigateway::ApiGateway::new(store.clone(), Some(lambda.clone()), logs.clone());
    let invoke_urls = lamina_apigateway::dataplane::DataPlane::new(apigateway.clone());
    // CloudFormation acts on the other services in process, through the gateway it is part of:
    // the caller exists first and is pointed at the gateway once that is shared.
    let caller = caller::GatewayCaller::new();
    // API Gateway's AWS service integrations (DynamoDB, SQS...) call through it too.
    apigateway.set_service_caller(caller.clone());
    let cloudformation = Arc::new(
        lamina_cloudformation::CloudFormationService::new(store.clone(), caller.clone())
            .with_code_root(cfg.code_root.clone()),
    );
    match cloudformation.recover().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            stacks = n,
            "cloudformation operations cut short by a restart marked failed"
        ),
        Err(e) => tracing::error!(error = %e.message, "cloudformation recovery failed"),
    }
    let gateway = Gateway::new(gw_config, store.backend())
        .with_service(cloudformation)
        .with_credentials(Arc::new(resolver))
        .with_raw_route(
            lamina_gateway::RawRoute::PathPrefix("/_lamina/lambda/".into()),
            Arc::new(lambda_routes::LambdaRoutes(lambda.clone())),
        )
        // Invoke URLs: by Host, and the path form, which shares /restapis/ with the control
        // plane and is told apart by its /_user_request_ marker.
        .with_raw_route(
            lamina_gateway::RawRoute::HostSuffix(".execute-api.localhost".into()),
            invoke_urls.clone(),
        )
        .with_raw_route(
            lamina_gateway::RawRoute::PathContains(
                lamina_apigateway::dataplane::USER_REQUEST.into(),
            ),
            invoke_urls,
        )
        .with_raw_route(
            lamina_gateway::RawRoute::PathPrefix("/_lamina/sns/".into()),
            Arc::new(SnsAdmin(sns.clone())),
        )
        .with_service(Arc::new(lamina_sns::SnsService::new(sns.clone())))
        .with_service(Arc::new(lamina_ssm::SsmService::new(
            store.clone(),
            master_key,
        )))
        .with_service(Arc::new(lamina_sts::StsService::new(store.clone())))
        .with_service(Arc::new(lamina_dynamodb::DynamoDbService::new(
            dynamodb.clone(),
        )))
        .with_service(Arc::new(lamina_dynamodb::streams::StreamsService::new(
            dynamodb,
        )))
        .with_service(Arc::new(lamina_logs::LogsService::new(logs.clone())))
        .with_service(Arc::new(lamina_sqs::SqsService::new(sqs.clone())))
        .with_service(Arc::new(lamina_events::EventsService::new(events)))
        .with_service(Arc::new(lamina_lambda::LambdaService::new(lambda.clone())))
        .with_service(Arc::new(lamina_apigateway::v2::V2Service::new(
            apigateway.clone(),
        )))
        .with_service(Arc::new(lamina_apigateway::v1::RestApiService::new(
            apigateway.clone(),
        )));

    let lambda_queue = lambda.start_background();
    let lambda_esm = lambda.start_event_source_mappings();

    {
        // The ready line: tools wait for it and read the endpoint from it.
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "Lamina {} ready on http://{addr}",
            env!("CARGO_PKG_VERSION")
        )?;
        out.flush()?;
    }
    tracing::info!(%addr, storage = store.backend(), "listening");

    let gateway = Arc::new(gateway);
    caller.attach(gateway.clone());
    lamina_gateway::serve(listener, gateway, shutdown).await;
    dynamodb_sweeper.abort();
    logs_sweeper.abort();
    sqs_sweeper.abort();
    sns_delivery.abort();
    events_scheduler.abort();
    lambda_queue.abort();
    lambda_esm.abort();
    lambda.shutdown().await;
    if let Err(e) = logs.flush().await {
        tracing::warn!(error = %e, "flushing buffered log events");
    }
    store.close().await.context("closing the store")?;
    tracing::info!("stopped");
    Ok(())
}

/// SNS's own routes (signing certificate, inspection listing) on the gateway's raw hook.
struct SnsAdmin(lamina_sns::Sns);

impl lamina_wire::RawHandler for SnsAdmin {
    fn handle<'a>(
        &'a self,
        req: lamina_wire::HttpRequest,
        _ctx: lamina_wire::RawContext,
    ) -> BoxFuture<'a, lamina_wire::HttpResponse> {
        Box::pin(async move {
            let r = self
                .0
                .admin(req.method.as_str(), &req.path, &req.query)
                .await;
            lamina_wire::HttpResponse {
                status: r.status,
                headers: vec![("content-type".into(), r.content_type.into())],
                body: r.body.into(),
            }
        })
    }
}

/// Secrets for `--auth verify`: the configured root key, and temporary credentials issued by
/// STS (from the store, rejected once expired).
struct Resolver {
    store: Arc<dyn Store>,
    root_access_key_id: String,
    root_secret_access_key: String,
    account_id: String,
}

impl CredentialResolver for Resolver {
    fn resolve<'a>(&'a self, access_key_id: &'a str) -> BoxFuture<'a, Option<ResolvedCredentials>> {
        Box::pin(async move {
            if access_key_id == self.root_access_key_id {
                return Some(ResolvedCredentials {
                    secret_access_key: self.root_secret_access_key.clone(),
                    account_id: self.account_id.clone(),
                });
            }
            let creds =
                match lamina_sts::Credentials::lookup(self.store.as_ref(), access_key_id).await {
                    Ok(c) => c?,
                    Err(e) => {
                        tracing::error!(error = %e, "credential lookup failed");
                        return None;
                    }
                };
            if creds.is_expired(lamina_core::now_epoch_millis() as i64 / 1000) {
                return None;
            }
            Some(ResolvedCredentials {
                secret_access_key: creds.secret_access_key,
                account_id: creds.account,
            })
        })
    }
}

/// Installs the Ctrl-C and SIGTERM handlers now (so a signal that arrives right after the
/// ready line is not lost) and returns a future that completes on either.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
        let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}

/// The 32-byte key that encrypts SecureString parameters at rest, kept in
/// `<data-dir>/master.key` (created once, mode 0600).
fn master_key(dir: &Path) -> anyhow::Result<[u8; 32]> {
    let path = dir.join("master.key");
    match std::fs::read(&path) {
        Ok(bytes) => bytes
            .as_slice()
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key: [u8; 32] = lamina_core::random_bytes();
            let tmp = dir.join("master.key.tmp");
            {
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp)?;
                f.write_all(&key)?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}
