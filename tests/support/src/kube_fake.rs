//! Long because it is one stateful server: routing, the four verbs the Kubernetes provisioner
//! uses, finalizers and namespace termination, the Argo CD controller it plays, and the
//! request log the tests read, which only make sense together.
//!
//! A Kubernetes API server stand-in on loopback, for the Kubernetes provisioner's tests. **No
//! real Kubernetes API server (and no Argo CD) runs on the machines idp is built and tested on**;
//! this server speaks the subset of the API the provisioner uses, with the upstream shapes:
//!
//! - discovery: `GET /api` (`APIVersions`), `/apis` (`APIGroupList`), `/api/v1` and
//!   `/apis/{group}/{version}` (`APIResourceList`) for the kinds in [`discovery::KINDS`]; the
//!   Argo CD kinds (`argoproj.io/v1alpha1` applications and appprojects) only while Argo CD is
//!   installed ([`KubeFake::set_argocd_installed`]);
//! - server-side apply: `PATCH` with `Content-Type: application/apply-patch+yaml` (anything
//!   else is 415) and a `fieldManager` (else 422); the body is read as YAML, checked against
//!   the URL (kind, name, namespace: 400) and validated (DNS-1123 names, label keys and values:
//!   422 `Invalid`); namespaced objects need their namespace (404), and a terminating namespace
//!   takes no new objects (403). The object is stored as applied, with `metadata.uid`,
//!   `resourceVersion`, `generation`, `creationTimestamp` and `managedFields` (the manager,
//!   `Apply`) set by the server; `status` stays the server's. 201 on create, 200 on update;
//! - `GET` of one object, `GET` of a collection (one namespace or all) with a `labelSelector`
//!   (`k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated);
//! - watches: `GET` of a collection with `watch=true`, a `fieldSelector` of `metadata.name=…`
//!   and/or a `labelSelector`, from a `resourceVersion`, for `timeoutSeconds`: a stream of
//!   newline-delimited `WatchEvent`s (`ADDED`, `MODIFIED`, `DELETED`, each with the whole
//!   object) for every change after that version, ended by the timeout; every change the server
//!   or its controller makes moves the object's `resourceVersion`. [`KubeFake::set_watch_served`]
//!   turns watches off (405), as for a proxy that does not pass them;
//! - `DELETE` with `DeleteOptions` (`propagationPolicy`, `preconditions.uid`: 409 on a
//!   mismatch): an object with finalizers gets a `deletionTimestamp` and stays until they are
//!   removed; a namespace goes `Terminating` and is removed, with everything in it, after
//!   [`KubeFake::set_namespace_termination`]; deleting a terminating namespace again is 409, as
//!   upstream;
//! - errors are `Status` objects (`{"kind":"Status","apiVersion":"v1","status":"Failure",
//!   "reason":"NotFound","code":404,…}`).
//!
//! It plays the Argo CD application controller ([`ArgoController`]): after an Application is
//! created or its spec changes it reports `Synced`/`Healthy` (or `Degraded`) with the compared
//! source after a delay, or never; until then the previous status stays, as a real controller's
//! would. An Application being deleted loses the resources finalizer after
//! [`KubeFake::set_prune`] (`None`: never). Every request is logged ([`KubeFake::requests`]); a
//! watch when it starts.

#![allow(
    clippy::disallowed_methods,
    reason = "the stand-in keeps time as a cluster does: timestamps on objects, its controller's delays"
)]

pub mod discovery;

use std::collections::{BTreeMap, VecDeque};
use std::convert::Infallible;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{SecondsFormat, Utc};
use idp_core::domain::kubernetes::namespace::ARGOCD_FINALIZER;
use serde_json::{Value, json};

use self::discovery::Kind;

/// The variables of a `k8s-namespace` preview of `env` on `branch` (repository
/// `acme/payments`, domain `preview.example.com`, the ALB ingress class), as the provisioner
/// receives them.
pub fn preview_vars(env: &str, branch: &str) -> serde_json::Map<String, Value> {
    let vars = json!({
        "environment_name": env, "owner": "dev@example.com", "expires_at": "2026-12-04T12:00:00Z",
        "repo_url": "https://github.com/acme/payments.git", "branch": branch,
        "manifests_path": "k8s", "developer_group": "acme/payments", "viewer_group": "",
        "role_arn": "", "quota_cpu": "2", "quota_memory": "4Gi", "quota_pods": 20,
        "default_cpu": "500m", "default_memory": "512Mi",
        "preview_domain": "preview.example.com", "ingress_class": "alb",
        "ingress_namespace": "", "acm_certificate_arn": "", "tls_secret": "",
        "container_port": 8080,
    });
    match vars {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// What the fake Argo CD application controller does with an Application after it was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgoController {
    /// Reports `Synced` and `Healthy` at the applied source `after` the apply.
    Healthy {
        /// How long the sync takes.
        after: Duration,
    },
    /// Reports `Synced` and `Degraded` with `message` `after` the apply.
    Degraded {
        /// How long until it degrades.
        after: Duration,
        /// The health message.
        message: String,
    },
    /// Reports `OutOfSync` and `Progressing` at once and never gets further.
    Progressing,
    /// Writes no status at all (the controller does not run).
    Stopped,
}

/// One request the fake answered.
#[derive(Debug, Clone)]
pub struct Logged {
    /// `GET`, `PATCH`, `DELETE`, …
    pub method: String,
    /// The path.
    pub path: String,
    /// The query parameters.
    pub query: BTreeMap<String, String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The body, if it was JSON or YAML.
    pub body: Option<Value>,
    /// The status answered.
    pub status: u16,
    /// The kind addressed (`Namespace`, `Application`), for object and collection requests.
    pub kind: Option<&'static str>,
    /// The namespace addressed.
    pub namespace: Option<String>,
    /// The object addressed.
    pub name: Option<String>,
}

impl Logged {
    /// The `fieldManager` query parameter.
    pub fn field_manager(&self) -> Option<&str> {
        self.query.get("fieldManager").map(String::as_str)
    }

    /// Whether this was a server-side apply.
    pub fn is_apply(&self) -> bool {
        self.method == "PATCH"
    }

    /// `Kind/name` or `Kind/namespace/name`.
    pub fn label(&self) -> String {
        let kind = self.kind.unwrap_or("?");
        let name = self.name.as_deref().unwrap_or("");
        match &self.namespace {
            Some(ns) => format!("{kind}/{ns}/{name}"),
            None => format!("{kind}/{name}"),
        }
    }
}

/// Object key: group, plural, namespace (`""` for cluster-scoped), name.
type Key = (String, String, String, String);

struct Stored {
    kind: &'static Kind,
    object: Value,
    /// When the Argo CD controller last saw a spec it has not reported on yet.
    changed_at: Option<Instant>,
    /// When the object's deletion was asked for.
    deleting_since: Option<Instant>,
}

struct State {
    argocd: bool,
    watch_served: bool,
    controller: ArgoController,
    prune: Option<Duration>,
    termination: Duration,
    objects: BTreeMap<Key, Stored>,
    log: Vec<Logged>,
    next_uid: u64,
    resource_version: u64,
    reject_next_apply: Option<(u16, String, String)>,
}

/// The Kubernetes API stand-in; stops serving when dropped.
pub struct KubeFake {
    url: String,
    state: Arc<Mutex<State>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for KubeFake {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl KubeFake {
    /// A cluster with Argo CD installed (and its `argocd` namespace, plus `default` and
    /// `kube-system`), whose controller syncs an application in 50 ms and prunes a deleted one
    /// in 50 ms; namespaces terminate in 100 ms.
    pub async fn start() -> Self {
        Self::start_with(true).await
    }

    /// A cluster without Argo CD: its kinds are not served and there is no `argocd` namespace.
    pub async fn without_argocd() -> Self {
        Self::start_with(false).await
    }

    async fn start_with(argocd: bool) -> Self {
        let state = Arc::new(Mutex::new(State {
            argocd,
            watch_served: true,
            controller: ArgoController::Healthy {
                after: Duration::from_millis(50),
            },
            prune: Some(Duration::from_millis(50)),
            termination: Duration::from_millis(100),
            objects: BTreeMap::new(),
            log: Vec::new(),
            next_uid: 1,
            resource_version: 1000,
            reject_next_apply: None,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port for the Kubernetes fake");
        let url = format!(
            "http://{}",
            listener.local_addr().expect("the fake's address")
        );
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(state.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let fake = Self { url, state, server };
        let mut names = vec!["default", "kube-system"];
        if argocd {
            names.push("argocd");
        }
        for name in names {
            fake.put(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}));
        }
        fake
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The API server URL (`http://127.0.0.1:…`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Installs or removes Argo CD (its kinds, the `argocd` namespace stays as it is).
    pub fn set_argocd_installed(&self, installed: bool) {
        self.lock().argocd = installed;
    }

    /// Whether watches are served (`false`: a watch is answered 405, as by a proxy that does not
    /// pass them).
    pub fn set_watch_served(&self, served: bool) {
        self.lock().watch_served = served;
    }

    /// What the Argo CD controller does from now on with applications it has not reported on.
    pub fn set_controller(&self, controller: ArgoController) {
        self.lock().controller = controller;
    }

    /// How long Argo CD takes to prune a deleted application (`None`: it never does).
    pub fn set_prune(&self, prune: Option<Duration>) {
        self.lock().prune = prune;
    }

    /// How long a deleted namespace stays `Terminating`.
    pub fn set_namespace_termination(&self, termination: Duration) {
        self.lock().termination = termination;
    }

    /// Answers the next server-side apply with a `Failure` status of `code`, `reason` and
    /// `message`.
    pub fn reject_next_apply(&self, code: u16, reason: &str, message: &str) {
        self.lock().reject_next_apply = Some((code, reason.to_owned(), message.to_owned()));
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<Logged> {
        self.lock().log.clone()
    }

    /// Forgets the requests answered so far.
    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Stores `object` as it is (with server metadata), as someone else than idp would have made
    /// it. Panics on a kind the fake does not serve.
    pub fn put(&self, mut object: Value) {
        let api_version = object["apiVersion"].as_str().unwrap_or_default().to_owned();
        let kind_name = object["kind"].as_str().unwrap_or_default().to_owned();
        let kind = discovery::by_kind(&api_version, &kind_name)
            .unwrap_or_else(|| panic!("the fake serves no {api_version} {kind_name}"));
        let mut state = self.lock();
        let uid = state.uid();
        let rv = state.bump();
        let meta = &mut object["metadata"];
        meta["uid"] = json!(uid);
        meta["resourceVersion"] = json!(rv);
        meta["creationTimestamp"] = json!(now_text());
        if kind.kind == "Namespace" {
            namespace_defaults(&mut object);
        }
        let key = key_of(
            kind,
            object["metadata"]["namespace"].as_str(),
            object["metadata"]["name"].as_str().unwrap_or_default(),
        );
        state.objects.insert(
            key,
            Stored {
                kind,
                object,
                changed_at: None,
                deleting_since: None,
            },
        );
    }

    /// The stored object, as a `GET` would answer it now.
    pub fn get(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let kind = discovery::by_kind(api_version, kind)?;
        let mut state = self.lock();
        state.tick();
        state
            .objects
            .get(&key_of(kind, namespace, name))
            .map(|s| s.object.clone())
    }

    /// Removes an object at once, finalizers or not (what a person with `kubectl patch` could
    /// leave behind); whether it was there.
    pub fn remove(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> bool {
        let Some(kind) = discovery::by_kind(api_version, kind) else {
            return false;
        };
        self.lock()
            .objects
            .remove(&key_of(kind, namespace, name))
            .is_some()
    }

    /// The objects stored, as `Kind/name` or `Kind/namespace/name`, sorted.
    pub fn objects(&self) -> Vec<String> {
        let mut state = self.lock();
        state.tick();
        let mut out: Vec<String> = state
            .objects
            .iter()
            .map(|((_, _, ns, name), s)| {
                if ns.is_empty() {
                    format!("{}/{name}", s.kind.kind)
                } else {
                    format!("{}/{ns}/{name}", s.kind.kind)
                }
            })
            .collect();
        out.sort();
        out
    }
}

fn key_of(kind: &Kind, namespace: Option<&str>, name: &str) -> Key {
    (
        kind.group.to_owned(),
        kind.plural.to_owned(),
        if kind.namespaced {
            namespace.unwrap_or_default().to_owned()
        } else {
            String::new()
        },
        name.to_owned(),
    )
}

/// What the API server sets on every namespace.
fn namespace_defaults(object: &mut Value) {
    let name = object["metadata"]["name"].clone();
    if !object["metadata"]["labels"].is_object() {
        object["metadata"]["labels"] = json!({});
    }
    object["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    object["spec"] = json!({"finalizers": ["kubernetes"]});
    if object["status"]["phase"].as_str() != Some("Terminating") {
        object["status"] = json!({"phase": "Active"});
    }
}

impl State {
    fn uid(&mut self) -> String {
        let n = self.next_uid;
        self.next_uid += 1;
        format!("6f1c0000-0000-4000-8000-{n:012x}")
    }

    fn bump(&mut self) -> String {
        self.resource_version += 1;
        self.resource_version.to_string()
    }

    /// Moves time on: the Argo CD controller reports, prunes, namespaces finish terminating.
    fn tick(&mut self) {
        let now = Instant::now();
        let controller = self.controller.clone();
        let prune = self.prune;
        let termination = self.termination;
        let mut gone: Vec<Key> = Vec::new();
        let mut purged: Vec<String> = Vec::new();
        let mut version = self.resource_version;
        for (key, stored) in &mut self.objects {
            match stored.kind.kind {
                "Application" => {
                    let mut changed = false;
                    if let Some(since) = stored.changed_at
                        && report(&controller, since, now, &mut stored.object)
                    {
                        stored.changed_at = None;
                        changed = true;
                    }
                    if let (Some(since), Some(prune)) = (stored.deleting_since, prune)
                        && now >= since + prune
                        && let Some(finalizers) =
                            stored.object["metadata"]["finalizers"].as_array_mut()
                    {
                        finalizers.retain(|f| f != ARGOCD_FINALIZER);
                        changed = true;
                    }
                    if changed {
                        version += 1;
                        stored.object["metadata"]["resourceVersion"] = json!(version.to_string());
                    }
                }
                "Namespace" => {
                    if let Some(since) = stored.deleting_since
                        && now >= since + termination
                    {
                        purged.push(key.3.clone());
                        gone.push(key.clone());
                    }
                }
                _ => {}
            }
            let no_finalizers = stored.object["metadata"]["finalizers"]
                .as_array()
                .is_none_or(Vec::is_empty);
            if stored.deleting_since.is_some() && stored.kind.kind != "Namespace" && no_finalizers {
                gone.push(key.clone());
            }
        }
        for key in gone {
            self.objects.remove(&key);
        }
        self.objects.retain(|(_, _, ns, _), _| !purged.contains(ns));
        self.resource_version = version;
    }
}

/// Writes the controller's status on `application` if it is time; whether it reported.
fn report(
    controller: &ArgoController,
    since: Instant,
    now: Instant,
    application: &mut Value,
) -> bool {
    let source = application["spec"]["source"].clone();
    let destination = application["spec"]["destination"].clone();
    let compared = json!({"source": source, "destination": destination});
    let status = match controller {
        ArgoController::Stopped => return false,
        ArgoController::Progressing => json!({
            "sync": {"status": "OutOfSync", "comparedTo": compared},
            "health": {"status": "Progressing"},
            "operationState": {"phase": "Running", "message": "waiting for healthy state of apps/Deployment/app"},
        }),
        ArgoController::Healthy { after } => {
            if now < since + *after {
                return false;
            }
            json!({
                "sync": {"status": "Synced", "revision": "4f2c8e1d9b7a6c5e3f1a0b9c8d7e6f5a4b3c2d1e", "comparedTo": compared},
                "health": {"status": "Healthy"},
                "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
                "reconciledAt": now_text(),
                "sourceType": "Directory",
            })
        }
        ArgoController::Degraded { after, message } => {
            if now < since + *after {
                return false;
            }
            json!({
                "sync": {"status": "Synced", "revision": "4f2c8e1d9b7a6c5e3f1a0b9c8d7e6f5a4b3c2d1e", "comparedTo": compared},
                "health": {"status": "Degraded", "message": message},
                "operationState": {"phase": "Succeeded", "message": "successfully synced (all tasks run)"},
                "reconciledAt": now_text(),
                "sourceType": "Directory",
            })
        }
    };
    application["status"] = status;
    true
}

/// A `Status` of failure.
fn failure(code: u16, reason: &str, message: &str, details: Value) -> (u16, Value) {
    (
        code,
        json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": message,
            "reason": reason,
            "details": details,
            "code": code,
        }),
    )
}

fn not_found_resource() -> (u16, Value) {
    failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
        json!({}),
    )
}

fn not_found(kind: &Kind, name: &str) -> (u16, Value) {
    let mut details = json!({"name": name, "kind": kind.plural});
    if !kind.group.is_empty() {
        details["group"] = json!(kind.group);
    }
    failure(
        404,
        "NotFound",
        &format!("{} \"{name}\" not found", kind.qualified()),
        details,
    )
}

/// What a request addresses.
enum Route {
    CoreVersions,
    Groups,
    Resources {
        group: String,
        version: String,
    },
    Collection {
        kind: &'static Kind,
        namespace: Option<String>,
    },
    Object {
        kind: &'static Kind,
        namespace: Option<String>,
        name: String,
    },
}

fn route(path: &str, argocd: bool) -> Option<Route> {
    let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
    let (group, version, rest) = match parts.as_slice() {
        ["api"] => return Some(Route::CoreVersions),
        ["apis"] => return Some(Route::Groups),
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return None,
    };
    let find = |plural: &str| discovery::by_plural(group, version, plural, argocd);
    match rest {
        [] => Some(Route::Resources {
            group: group.to_owned(),
            version: version.to_owned(),
        }),
        ["namespaces", ns, plural] => {
            let kind = find(plural).filter(|k| k.namespaced)?;
            Some(Route::Collection {
                kind,
                namespace: Some((*ns).to_owned()),
            })
        }
        ["namespaces", ns, plural, name] => {
            let kind = find(plural).filter(|k| k.namespaced)?;
            Some(Route::Object {
                kind,
                namespace: Some((*ns).to_owned()),
                name: (*name).to_owned(),
            })
        }
        [plural] => Some(Route::Collection {
            kind: find(plural)?,
            namespace: None,
        }),
        [plural, name] => {
            let kind = find(plural).filter(|k| !k.namespaced)?;
            Some(Route::Object {
                kind,
                namespace: None,
                name: (*name).to_owned(),
            })
        }
        _ => None,
    }
}

fn query_of(uri: &Uri) -> BTreeMap<String, String> {
    uri.query()
        .map(|q| {
            q.split('&')
                .filter_map(|pair| {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    let decode = |s: &str| {
                        percent_encoding::percent_decode_str(&s.replace('+', " "))
                            .decode_utf8_lossy()
                            .into_owned()
                    };
                    (!k.is_empty()).then(|| (decode(k), decode(v)))
                })
                .collect()
        })
        .unwrap_or_default()
}

async fn handle(
    AxumState(state): AxumState<Arc<Mutex<State>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let query = query_of(&uri);
    if method == Method::GET && query.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let argocd = state.lock().unwrap_or_else(PoisonError::into_inner).argocd;
        if let Some(Route::Collection { kind, namespace }) = route(uri.path(), argocd) {
            return watch(state, kind, namespace, &uri, query);
        }
    }
    let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
    state.tick();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let text = String::from_utf8_lossy(&body);
    let parsed: Option<Value> = if text.trim().is_empty() {
        None
    } else {
        serde_json::from_str(&text)
            .ok()
            .or_else(|| serde_saphyr::from_str(&text).ok())
    };
    let routed = route(uri.path(), state.argocd);
    let (kind, namespace, name) = match &routed {
        Some(Route::Object {
            kind,
            namespace,
            name,
        }) => (Some(kind.kind), namespace.clone(), Some(name.clone())),
        Some(Route::Collection { kind, namespace }) => (Some(kind.kind), namespace.clone(), None),
        _ => (None, None, None),
    };
    let (status, answer) = match (routed, &method) {
        (None, _) => not_found_resource(),
        (Some(Route::CoreVersions), &Method::GET) => (200, discovery::api_versions()),
        (Some(Route::Groups), &Method::GET) => (200, discovery::api_groups(state.argocd)),
        (Some(Route::Resources { group, version }), &Method::GET) => {
            match discovery::api_resources(&group, &version, state.argocd) {
                Some(list) => (200, list),
                None => not_found_resource(),
            }
        }
        (Some(Route::Collection { kind, namespace }), &Method::GET) => state.list(
            kind,
            namespace.as_deref(),
            query.get("labelSelector").map(String::as_str),
        ),
        (
            Some(Route::Object {
                kind,
                namespace,
                name,
            }),
            &Method::GET,
        ) => {
            match state
                .objects
                .get(&key_of(kind, namespace.as_deref(), &name))
            {
                Some(stored) => (200, stored.object.clone()),
                None => not_found(kind, &name),
            }
        }
        (
            Some(Route::Object {
                kind,
                namespace,
                name,
            }),
            &Method::PATCH,
        ) => state.apply(
            kind,
            namespace.as_deref(),
            &name,
            &query,
            content_type.as_deref(),
            parsed.clone(),
        ),
        (
            Some(Route::Object {
                kind,
                namespace,
                name,
            }),
            &Method::DELETE,
        ) => state.delete(kind, namespace.as_deref(), &name, parsed.as_ref()),
        _ => failure(
            405,
            "MethodNotAllowed",
            &format!(
                "the server does not allow this method on the requested resource ({method} is not served by this stand-in)"
            ),
            json!({}),
        ),
    };
    state.log.push(Logged {
        method: method.to_string(),
        path: uri.path().to_owned(),
        query,
        content_type,
        body: parsed,
        status,
        kind,
        namespace,
        name,
    });
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

/// A watch of `kind` (in `namespace`, or all): the events after `resourceVersion` of the
/// objects the `fieldSelector` (`metadata.name=…` only) and `labelSelector` pick, until
/// `timeoutSeconds` (default 290 s) pass.
fn watch(
    shared: Arc<Mutex<State>>,
    kind: &'static Kind,
    namespace: Option<String>,
    uri: &Uri,
    query: BTreeMap<String, String>,
) -> Response {
    let name = match query.get("fieldSelector").map(String::as_str) {
        None | Some("") => None,
        Some(field) => match field.strip_prefix("metadata.name=") {
            Some(name) => Some(name.to_owned()),
            None => {
                let (status, answer) = failure(
                    400,
                    "BadRequest",
                    &format!("field selector `{field}` is not served by this stand-in"),
                    json!({}),
                );
                return answer_of(status, &answer);
            }
        },
    };
    let since: u64 = query
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = query
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map_or(Duration::from_secs(290), Duration::from_secs);
    let selector = query.get("labelSelector").cloned();
    {
        let mut state = shared.lock().unwrap_or_else(PoisonError::into_inner);
        let status = if state.watch_served { 200 } else { 405 };
        state.log.push(Logged {
            method: "GET".to_owned(),
            path: uri.path().to_owned(),
            query: query.clone(),
            content_type: None,
            body: None,
            status,
            kind: Some(kind.kind),
            namespace: namespace.clone(),
            name: name.clone(),
        });
        if !state.watch_served {
            let (status, answer) = failure(
                405,
                "MethodNotAllowed",
                "watch is not served here",
                json!({}),
            );
            return answer_of(status, &answer);
        }
    }
    let deadline = Instant::now() + timeout;
    let picks = move |key: &Key, object: &Value| {
        key.0 == kind.group
            && key.1 == kind.plural
            && namespace.as_deref().is_none_or(|ns| ns == key.2)
            && name.as_deref().is_none_or(|n| n == key.3)
            && selector
                .as_deref()
                .is_none_or(|s| selects(s, &object["metadata"]["labels"]).unwrap_or(false))
    };
    let watcher = Watcher {
        shared,
        seen: BTreeMap::new(),
        pending: VecDeque::new(),
        started: false,
    };
    let stream = futures::stream::unfold(watcher, move |mut w| {
        let picks = picks.clone();
        async move {
            loop {
                if let Some(event) = w.pending.pop_front() {
                    let line = Bytes::from(format!("{event}\n"));
                    return Some((Ok::<_, Infallible>(line), w));
                }
                if Instant::now() >= deadline {
                    return None;
                }
                w.look(since, &picks);
                if w.pending.is_empty() {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// What one watch has sent: the version of each object it picked.
struct Watcher {
    shared: Arc<Mutex<State>>,
    seen: BTreeMap<Key, (u64, Value)>,
    pending: VecDeque<Value>,
    started: bool,
}

impl Watcher {
    /// Moves the server's time on and queues the events of what changed since the last look.
    fn look(&mut self, since: u64, picks: &impl Fn(&Key, &Value) -> bool) {
        let mut state = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        state.tick();
        let mut present = Vec::new();
        for (key, stored) in &state.objects {
            if !picks(key, &stored.object) {
                continue;
            }
            present.push(key.clone());
            let version: u64 = stored.object["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let kind = match self.seen.get(key) {
                None if !self.started && version <= since => None,
                None => Some(if self.started { "ADDED" } else { "MODIFIED" }),
                Some((last, _)) if version > *last => Some("MODIFIED"),
                Some(_) => None,
            };
            if let Some(kind) = kind {
                self.pending
                    .push_back(json!({"type": kind, "object": stored.object}));
            }
            self.seen
                .insert(key.clone(), (version, stored.object.clone()));
        }
        let gone: Vec<Key> = self
            .seen
            .keys()
            .filter(|k| !present.contains(k))
            .cloned()
            .collect();
        for key in gone {
            if let Some((_, object)) = self.seen.remove(&key) {
                self.pending
                    .push_back(json!({"type": "DELETED", "object": object}));
            }
        }
        self.started = true;
    }
}

fn answer_of(status: u16, answer: &Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        answer.to_string(),
    )
        .into_response()
}

/// Whether `labels` satisfy the selector `selector`; `Err` for one that does not parse.
fn selects(selector: &str, labels: &Value) -> Result<bool, String> {
    for requirement in selector.split(',').map(str::trim).filter(|r| !r.is_empty()) {
        let get = |k: &str| labels.get(k.trim()).and_then(Value::as_str);
        let ok = if let Some((k, v)) = requirement.split_once("!=") {
            get(k) != Some(v.trim())
        } else if let Some((k, v)) = requirement
            .split_once("==")
            .or_else(|| requirement.split_once('='))
        {
            if k.trim().is_empty() {
                return Err(format!(
                    "unable to parse requirement: found '=', expected: identifier in `{requirement}`"
                ));
            }
            get(k) == Some(v.trim())
        } else if let Some(k) = requirement.strip_prefix('!') {
            get(k).is_none()
        } else if requirement.contains(' ') {
            return Err(format!(
                "unable to parse requirement: `{requirement}` (set-based selectors are not served by this stand-in)"
            ));
        } else {
            get(requirement).is_some()
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

impl State {
    fn list(
        &self,
        kind: &'static Kind,
        namespace: Option<&str>,
        selector: Option<&str>,
    ) -> (u16, Value) {
        let mut items = Vec::new();
        for ((group, plural, ns, _), stored) in &self.objects {
            if group != kind.group || plural != kind.plural {
                continue;
            }
            if namespace.is_some_and(|wanted| wanted != ns) {
                continue;
            }
            let labels = &stored.object["metadata"]["labels"];
            match selector.map(|s| selects(s, labels)) {
                Some(Err(why)) => return failure(400, "BadRequest", &why, json!({})),
                Some(Ok(false)) => continue,
                _ => items.push(stored.object.clone()),
            }
        }
        (
            200,
            json!({
                "kind": format!("{}List", kind.kind),
                "apiVersion": kind.api_version(),
                "metadata": {"resourceVersion": self.resource_version.to_string()},
                "items": items,
            }),
        )
    }

    fn apply(
        &mut self,
        kind: &'static Kind,
        namespace: Option<&str>,
        name: &str,
        query: &BTreeMap<String, String>,
        content_type: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        if content_type.map(|c| c.split(';').next().unwrap_or_default().trim())
            != Some("application/apply-patch+yaml")
        {
            return failure(
                415,
                "UnsupportedMediaType",
                &format!(
                    "the body of the request was in an unknown format - accepted media types include: application/apply-patch+yaml (this stand-in serves server-side apply only; got {})",
                    content_type.unwrap_or("none")
                ),
                json!({}),
            );
        }
        let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()).cloned() else {
            return failure(
                422,
                "Invalid",
                "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
                json!({}),
            );
        };
        if let Some((code, reason, message)) = self.reject_next_apply.take() {
            return failure(
                code,
                &reason,
                &message,
                json!({"name": name, "kind": kind.plural}),
            );
        }
        let Some(mut object) = body.filter(Value::is_object) else {
            return failure(
                400,
                "BadRequest",
                "error decoding YAML: the body is not an object",
                json!({}),
            );
        };
        if object["apiVersion"].as_str() != Some(kind.api_version().as_str())
            || object["kind"].as_str() != Some(kind.kind)
        {
            return failure(
                400,
                "BadRequest",
                &format!(
                    "the API version in the data ({}) does not match the expected API version ({}), or the kind ({}) is not {}",
                    object["apiVersion"],
                    kind.api_version(),
                    object["kind"],
                    kind.kind
                ),
                json!({}),
            );
        }
        if object["metadata"]["name"].as_str() != Some(name) {
            return failure(
                400,
                "BadRequest",
                &format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    object["metadata"]["name"]
                ),
                json!({}),
            );
        }
        if kind.namespaced
            && object["metadata"]["namespace"]
                .as_str()
                .is_some_and(|n| Some(n) != namespace)
        {
            return failure(
                400,
                "BadRequest",
                "the namespace of the provided object does not match the namespace sent on the request",
                json!({}),
            );
        }
        let invalid = |field: &str, value: &str, why: &str| {
            failure(
                422,
                "Invalid",
                &format!(
                    "{} \"{name}\" is invalid: {field}: Invalid value: \"{value}\": {why}",
                    kind.kind
                ),
                json!({"name": name, "kind": kind.kind, "group": kind.group, "causes": [{"reason": "FieldValueInvalid", "message": format!("Invalid value: \"{value}\": {why}"), "field": field}]}),
            )
        };
        let name_problem = if kind.kind == "Namespace" {
            discovery::invalid_label_name(name)
        } else {
            discovery::invalid_subdomain(name)
        };
        if let Some(why) = name_problem {
            return invalid("metadata.name", name, &why);
        }
        if let Some(labels) = object["metadata"]["labels"].as_object() {
            for (k, v) in labels {
                if let Some(why) = discovery::invalid_label_key(k) {
                    return invalid("metadata.labels", k, &why);
                }
                let v = v.as_str().unwrap_or_default();
                if let Some(why) = discovery::invalid_label_value(v) {
                    return invalid(&format!("metadata.labels[{k}]"), v, &why);
                }
            }
        }
        let key = key_of(kind, namespace, name);
        let existing = self.objects.get(&key);
        if kind.namespaced && existing.is_none() {
            let ns = namespace.unwrap_or_default();
            let ns_key = (
                String::new(),
                "namespaces".to_owned(),
                String::new(),
                ns.to_owned(),
            );
            match self.objects.get(&ns_key) {
                None => {
                    return failure(
                        404,
                        "NotFound",
                        &format!("namespaces \"{ns}\" not found"),
                        json!({"name": ns, "kind": "namespaces"}),
                    );
                }
                Some(n) if n.deleting_since.is_some() => {
                    return failure(
                        403,
                        "Forbidden",
                        &format!(
                            "{} \"{name}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                            kind.qualified()
                        ),
                        json!({"name": name, "kind": kind.plural}),
                    );
                }
                Some(_) => {}
            }
        }
        let spec_of = |o: &Value| {
            let mut o = o.clone();
            if let Some(map) = o.as_object_mut() {
                map.remove("metadata");
                map.remove("status");
            }
            o
        };
        let (created, uid, created_at, generation, status, deletion, changed, deleting_since) =
            match existing {
                Some(old) => {
                    let changed = spec_of(&old.object) != spec_of(&object);
                    let generation = old.object["metadata"]["generation"].as_u64().unwrap_or(1)
                        + u64::from(changed);
                    (
                        false,
                        old.object["metadata"]["uid"].clone(),
                        old.object["metadata"]["creationTimestamp"].clone(),
                        generation,
                        old.object.get("status").cloned(),
                        old.object["metadata"].get("deletionTimestamp").cloned(),
                        if changed {
                            Some(Instant::now())
                        } else {
                            old.changed_at
                        },
                        old.deleting_since,
                    )
                }
                None => (
                    true,
                    json!(self.uid()),
                    json!(now_text()),
                    1,
                    None,
                    None,
                    Some(Instant::now()),
                    None,
                ),
            };
        let rv = self.bump();
        let meta = &mut object["metadata"];
        if kind.namespaced {
            meta["namespace"] = json!(namespace.unwrap_or_default());
        }
        meta["uid"] = uid;
        meta["creationTimestamp"] = created_at;
        meta["resourceVersion"] = json!(rv);
        meta["generation"] = json!(generation);
        meta["managedFields"] = json!([{
            "manager": manager,
            "operation": "Apply",
            "apiVersion": kind.api_version(),
            "time": now_text(),
            "fieldsType": "FieldsV1",
            "fieldsV1": {},
        }]);
        if let Some(deletion) = deletion {
            meta["deletionTimestamp"] = deletion;
        }
        match status {
            Some(status) => object["status"] = status,
            None => {
                if let Some(map) = object.as_object_mut() {
                    map.remove("status");
                }
            }
        }
        if kind.kind == "Namespace" {
            namespace_defaults(&mut object);
        }
        let changed_at = if kind.kind == "Application" {
            changed
        } else {
            None
        };
        self.objects.insert(
            key,
            Stored {
                kind,
                object: object.clone(),
                changed_at,
                deleting_since,
            },
        );
        // The controller may report at once (no delay, or `Progressing`).
        self.tick();
        (if created { 201 } else { 200 }, object)
    }

    fn delete(
        &mut self,
        kind: &'static Kind,
        namespace: Option<&str>,
        name: &str,
        options: Option<&Value>,
    ) -> (u16, Value) {
        let key = key_of(kind, namespace, name);
        let Some(stored) = self.objects.get_mut(&key) else {
            return not_found(kind, name);
        };
        let uid = stored.object["metadata"]["uid"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(wanted) = options
            .and_then(|o| o.pointer("/preconditions/uid"))
            .and_then(Value::as_str)
            && wanted != uid
        {
            return failure(
                409,
                "Conflict",
                &format!(
                    "Operation cannot be fulfilled on {} \"{name}\": Precondition failed: UID in precondition: {wanted}, UID in object meta: {uid}",
                    kind.qualified()
                ),
                json!({"name": name, "kind": kind.plural}),
            );
        }
        if kind.kind == "Namespace" {
            if stored.deleting_since.is_some() {
                return failure(
                    409,
                    "Conflict",
                    &format!(
                        "Operation cannot be fulfilled on namespaces \"{name}\": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system."
                    ),
                    json!({"name": name, "kind": "namespaces"}),
                );
            }
            stored.deleting_since = Some(Instant::now());
            stored.object["metadata"]["deletionTimestamp"] = json!(now_text());
            stored.object["status"] = json!({"phase": "Terminating", "conditions": [{"type": "NamespaceContentRemaining", "status": "True", "reason": "SomeResourcesRemain", "message": "Some resources are remaining: applications.argoproj.io has 1 resource instances", "lastTransitionTime": now_text()}]});
            stored.object["metadata"]["resourceVersion"] =
                json!((self.resource_version + 1).to_string());
            let answer = stored.object.clone();
            self.bump();
            return (200, answer);
        }
        let has_finalizers = stored.object["metadata"]["finalizers"]
            .as_array()
            .is_some_and(|f| !f.is_empty());
        if has_finalizers {
            if stored.deleting_since.is_none() {
                stored.deleting_since = Some(Instant::now());
                stored.object["metadata"]["deletionTimestamp"] = json!(now_text());
                stored.object["metadata"]["deletionGracePeriodSeconds"] = json!(0);
                stored.object["metadata"]["resourceVersion"] =
                    json!((self.resource_version + 1).to_string());
            }
            let answer = stored.object.clone();
            self.bump();
            return (200, answer);
        }
        self.objects.remove(&key);
        self.bump();
        let mut details = json!({"name": name, "kind": kind.plural, "uid": uid});
        if !kind.group.is_empty() {
            details["group"] = json!(kind.group);
        }
        (
            200,
            json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}),
        )
    }
}
