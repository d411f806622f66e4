//! A server over a given backend, driven in process through its router (`tower::ServiceExt`):
//! the memory provisioner and a fixed clock are swapped in, so environments are created in
//! milliseconds and what was applied can be checked; state and locks are the backend's own.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use idp_core::access::{self, CreateTokenRequest};
use idp_core::adapters::memory::{MemoryForge, MemoryLogs, MemoryProvisioner, MemoryRegistry};
use idp_core::backend::Backend;
use idp_core::domain::access::Role;
use idp_core::platform::{Platform, Settings};
use idp_core::ports::FixedClock;
use idp_core::secret::Secret;
use idp_server::{AppState, ServeOptions};
use serde_json::Value;
use tower::ServiceExt;

/// The webhook secret of every fixture.
pub(crate) const WEBHOOK_SECRET: &str = "It's a Secret to Everybody";
/// The JWT secret of every fixture.
pub(crate) const JWT_SECRET: &str = "a-jwt-secret-of-the-job-runner";

pub(crate) fn t0() -> DateTime<Utc> {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The tokens of a fixture, one per role (developers for two owners).
pub(crate) struct Tokens {
    pub(crate) admin: String,
    pub(crate) alice: String,
    pub(crate) bob: String,
    pub(crate) viewer: String,
}

/// A server and the handles a scenario steers.
pub(crate) struct Server {
    pub(crate) state: Arc<AppState>,
    pub(crate) app: axum::Router,
    pub(crate) provisioner: Arc<MemoryProvisioner>,
    pub(crate) forge: Arc<MemoryForge>,
    pub(crate) logs: Arc<MemoryLogs>,
    pub(crate) clock: Arc<FixedClock>,
    pub(crate) tokens: Tokens,
    _runs_dir: tempfile::TempDir,
    _dir: Option<tempfile::TempDir>,
}

/// An answer: status, headers, and the body as JSON (`Value::String` when it is not JSON).
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
    pub(crate) text: String,
}

impl Server {
    async fn around(backend: Backend, dir: Option<tempfile::TempDir>) -> Self {
        Self::with_options(backend, dir, ServeOptions::default()).await
    }

    pub(crate) async fn with_options(
        backend: Backend,
        dir: Option<tempfile::TempDir>,
        options: ServeOptions,
    ) -> Self {
        let provisioner = Arc::new(MemoryProvisioner::new());
        let registry = Arc::new(MemoryRegistry::new());
        registry.create_repository("idp-preview");
        let clock = Arc::new(FixedClock::new(t0()));
        let forge = Arc::new(MemoryForge::with_clock(clock.clone()));
        let logs = Arc::new(MemoryLogs::new());
        let backend = Backend {
            forge: forge.clone(),
            logs: logs.clone(),
            provisioner: provisioner.clone(),
            registry,
            clock: clock.clone(),
            ..backend
        };
        let settings = Settings {
            state_bucket: "state-bucket".into(),
            lease_wait: TimeDelta::seconds(60),
            actor: "server".into(),
            approval_rules: idp_core::repo::templates::approval_rules(
                &repo_root().join("infrastructure/templates"),
            )
            .unwrap(),
            ..Settings::default()
        };
        let platform = Platform::new(backend).with_settings(settings);
        let issue = |role, owner: &str| {
            let platform = platform.clone();
            let owner = owner.to_owned();
            async move {
                access::create(
                    &platform,
                    CreateTokenRequest {
                        role,
                        owner,
                        expires_in: None,
                        description: None,
                    },
                )
                .await
                .unwrap()
                .token
                .expose()
                .clone()
            }
        };
        let tokens = Tokens {
            admin: issue(Role::Admin, "root").await,
            alice: issue(Role::Developer, "alice").await,
            bob: issue(Role::Developer, "bob").await,
            viewer: issue(Role::Viewer, "vera").await,
        };
        let runs_dir = tempfile::tempdir().unwrap();
        let options = ServeOptions {
            templates_dir: repo_root().join("infrastructure/templates"),
            runs_dir: runs_dir.path().to_path_buf(),
            webhook_secret: Some(Secret::new(WEBHOOK_SECRET.to_owned())),
            jwt_secret: Some(Secret::new(JWT_SECRET.to_owned())),
            follow_poll: Duration::from_millis(50),
            ..options
        };
        let state = Arc::new(AppState::new(platform, options));
        let app = idp_server::router(state.clone()).unwrap();
        Self {
            state,
            app,
            provisioner,
            forge,
            logs,
            clock,
            tokens,
            _runs_dir: runs_dir,
            _dir: dir,
        }
    }

    pub(crate) async fn memory() -> Self {
        let (backend, _) = Backend::memory_at(t0());
        Self::around(backend, None).await
    }

    pub(crate) async fn local() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let backend = Backend::local(dir.path());
        Self::around(backend, Some(dir)).await
    }

    /// S3 and DynamoDB on moto, or `None` outside CI without moto (after one loud skip line).
    pub(crate) async fn moto() -> Option<Self> {
        use idp_core::adapters::aws::{DynamoDbLockTable, S3Store};
        use idp_test_support::moto;
        let endpoint = moto::endpoint()?;
        let moto = moto::Moto::new(&endpoint).await;
        moto.create_bucket_and_table().await;
        let (memory, _) = Backend::memory_at(t0());
        let backend = Backend {
            store: Arc::new(S3Store::new(moto.s3(), moto.cfg.state_bucket.clone())),
            locks: Arc::new(DynamoDbLockTable::new(
                moto.dynamodb(),
                moto.cfg.lock_table.clone(),
            )),
            ..memory
        };
        Some(Self::around(backend, None).await)
    }

    pub(crate) fn clock_now(&self) -> DateTime<Utc> {
        idp_core::ports::Clock::now(self.clock.as_ref())
    }

    pub(crate) fn platform(&self) -> &Platform {
        &self.state.platform
    }

    /// One request; `body` is sent as JSON.
    pub(crate) async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut req = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(v) => {
                req = req.header("content-type", "application/json");
                Body::from(v.to_string())
            }
            None => Body::empty(),
        };
        self.send(req.body(body).unwrap()).await
    }

    /// Sends a prepared request.
    pub(crate) async fn send(&self, req: Request<Body>) -> Answer {
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = axum::body::to_bytes(res.into_body(), 64 * 1024 * 1024)
            .await
            .unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(text.clone()));
        Answer {
            status,
            headers,
            body,
            text,
        }
    }

    pub(crate) async fn get(&self, uri: &str, token: &str) -> Answer {
        self.call(Method::GET, uri, Some(token), None).await
    }

    pub(crate) async fn post(&self, uri: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, uri, Some(token), Some(body)).await
    }

    /// Follows an operation until it ends; its final record.
    pub(crate) async fn wait(&self, op_id: &str) -> Value {
        // A deadline, not a number of looks: on moto, shared by every suite of a CI run, one
        // look can take a while.
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while std::time::Instant::now() < deadline {
            let a = self
                .get(&format!("/v1/operations/{op_id}"), &self.tokens.admin)
                .await;
            if a.status == StatusCode::TOO_MANY_REQUESTS {
                // A long wait looks often enough to meet the per-credential rate limit: wait
                // as the answer says.
                let after = a.body["retry_after"].as_u64().unwrap_or(1);
                tokio::time::sleep(Duration::from_secs(after)).await;
                continue;
            }
            assert_eq!(a.status, StatusCode::OK, "{}", a.text);
            if a.body["status"] != "running" {
                return a.body;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("operation {op_id} did not end within 60 s");
    }

    /// Creates `name` as `token` and waits for the create; the final operation.
    pub(crate) async fn create(&self, name: &str, token: &str) -> Value {
        let a = self
            .post(
                "/v1/environments",
                token,
                serde_json::json!({ "name": name, "ttl": "2h" }),
            )
            .await;
        assert_eq!(a.status, StatusCode::ACCEPTED, "{}", a.text);
        let op = self.wait(a.body["id"].as_str().unwrap()).await;
        assert_eq!(op["status"], "succeeded", "{op}");
        op
    }
}

/// `sha256=` + the HMAC-SHA256 of `body` with `secret`, as GitHub signs deliveries.
pub(crate) fn sign(secret: &str, body: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A webhook delivery.
pub(crate) fn delivery(
    event: &str,
    id: &str,
    body: &[u8],
    signature: Option<&str>,
) -> Request<Body> {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/v1/webhooks/github")
        .header("content-type", "application/json")
        .header("x-github-event", event)
        .header("x-github-delivery", id);
    if let Some(sig) = signature {
        req = req.header("x-hub-signature-256", sig);
    }
    req.body(Body::from(body.to_vec())).unwrap()
}
