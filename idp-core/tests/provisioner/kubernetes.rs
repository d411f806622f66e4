//! The Kubernetes provisioner against `kube_fake`, a loopback stand-in for the Kubernetes API
//! server that also plays the Argo CD controller.
//!
//! Long because every behaviour of the adapter (apply order, waiting, failures, destroy order and
//! its resumption, names) is one test here against the same fake.
//!
//! No real Kubernetes API server (and no Argo CD) runs on the machines these tests run on: what
//! is tested is the adapter's own calls (discovery, server-side apply in wave order, waiting for
//! Argo CD, deletes in order) and the errors it makes of the answers, against the upstream shapes
//! the fake answers with.

use std::time::{Duration, Instant};

use idp_core::adapters::kubernetes::{FIELD_MANAGER, KubernetesProvisioner, KubernetesSettings};
use idp_core::domain::kubernetes::namespace::{self, ARGOCD_FINALIZER, NamespaceSpec, TEMPLATE};
use idp_core::domain::naming::{EnvName, MAX_LEN};
use idp_core::domain::template::TemplateName;
use idp_core::ports::{ProvisionError, ProvisionRequest, Provisioner, RuntimeHealth};
use idp_test_support::kube_fake::{ArgoController, KubeFake, Logged, preview_vars};
use serde_json::{Value, json};

fn request(env: &str, branch: &str) -> ProvisionRequest {
    let name = EnvName::parse(env).unwrap();
    let key = format!("environments/{env}/terraform.tfstate");
    let mut request = ProvisionRequest::new(name, TemplateName::new(TEMPLATE).unwrap(), key);
    request.tfvars = preview_vars(env, branch);
    request
}

fn settings() -> KubernetesSettings {
    KubernetesSettings {
        sync_timeout: Duration::from_secs(10),
        delete_timeout: Duration::from_secs(10),
        poll_interval: Duration::from_millis(20),
    }
}

fn provisioner(fake: &KubeFake, settings: KubernetesSettings) -> KubernetesProvisioner {
    KubernetesProvisioner::for_url(fake.url(), settings).unwrap()
}

fn patches(fake: &KubeFake) -> Vec<Logged> {
    fake.requests()
        .into_iter()
        .filter(Logged::is_apply)
        .collect()
}

fn deletes(fake: &KubeFake) -> Vec<String> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .map(|r| r.label())
        .collect()
}

fn watches(fake: &KubeFake) -> Vec<Logged> {
    fake.requests()
        .into_iter()
        .filter(|r| r.query.get("watch").map(String::as_str) == Some("true"))
        .collect()
}

fn application(fake: &KubeFake, env: &str) -> Option<Value> {
    fake.get("argoproj.io/v1alpha1", "Application", Some("argocd"), env)
}

/// The namespaces a fresh fake cluster has.
const CLUSTER_NAMESPACES: [&str; 3] = [
    "Namespace/argocd",
    "Namespace/default",
    "Namespace/kube-system",
];

#[tokio::test]
async fn every_object_is_server_side_applied_in_wave_order_by_field_manager_idp() {
    let fake = KubeFake::start().await;
    let request = request("preview-a", "feature/login");
    provisioner(&fake, settings())
        .apply(&request)
        .await
        .unwrap();

    let spec = NamespaceSpec::from_vars(&request.env, &request.tfvars).unwrap();
    let rendered: Vec<String> = namespace::render(&spec).iter().map(|m| m.label()).collect();
    let applied = patches(&fake);
    assert_eq!(
        applied.iter().map(Logged::label).collect::<Vec<_>>(),
        rendered
    );
    let waves: Vec<i64> = applied
        .iter()
        .map(|p| {
            p.body.as_ref().unwrap()["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(waves.is_sorted(), "{waves:?}");
    assert_eq!((waves.first(), waves.last()), (Some(&-5), Some(&2)));
    for patch in &applied {
        assert_eq!(
            patch.field_manager(),
            Some(FIELD_MANAGER),
            "{}",
            patch.label()
        );
        assert_eq!(patch.query.get("force").map(String::as_str), Some("true"));
        assert_eq!(
            patch.content_type.as_deref(),
            Some("application/apply-patch+yaml")
        );
        assert!(
            matches!(patch.status, 200 | 201),
            "{} answered {}",
            patch.label(),
            patch.status
        );
    }
    // Discovery was asked once per API group, before anything was applied.
    let first_patch = fake.requests().iter().position(Logged::is_apply).unwrap();
    let discovered: Vec<String> = fake.requests()[..first_patch]
        .iter()
        .filter(|r| r.kind.is_none())
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        discovered,
        [
            "/api/v1",
            "/apis/networking.k8s.io/v1",
            "/apis/rbac.authorization.k8s.io/v1",
            "/apis/argoproj.io/v1alpha1"
        ]
    );
    let stored = application(&fake, "preview-a").unwrap();
    assert_eq!(
        stored["metadata"]["managedFields"][0]["manager"],
        FIELD_MANAGER
    );
    assert_eq!(stored["metadata"]["managedFields"][0]["operation"], "Apply");
    assert_eq!(stored["metadata"]["finalizers"][0], ARGOCD_FINALIZER);
    assert!(stored["metadata"]["uid"].is_string());
}

#[tokio::test]
async fn apply_waits_until_argo_cd_reports_synced_and_healthy_and_returns_the_url() {
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Healthy {
        after: Duration::from_millis(400),
    });
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-a", "main");
    let started = Instant::now();
    let outputs = provisioner.apply(&request).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        outputs.endpoint(),
        Some("https://preview-a.preview.example.com")
    );
    assert_eq!(outputs.get("namespace"), Some(&json!("preview-a")));
    assert_eq!(outputs.get("application"), Some(&json!("preview-a")));
    let watches = watches(&fake);
    assert_eq!(
        watches.len(),
        1,
        "one watch saw the status change: {watches:?}"
    );
    assert_eq!(
        watches[0].query.get("fieldSelector").map(String::as_str),
        Some("metadata.name=preview-a")
    );
    assert!(watches[0].query.contains_key("resourceVersion"));
    assert_eq!(provisioner.outputs(&request).await.unwrap(), outputs);
    assert_eq!(
        provisioner.health(&request).await.unwrap(),
        RuntimeHealth::Running { pid: None }
    );
    assert!(provisioner.tags_follow_expiry(
        &idp_core::domain::template::TemplateName::new("k8s-namespace").unwrap()
    ));
}

#[tokio::test]
async fn the_applications_status_is_watched_so_a_sync_is_seen_as_it_happens() {
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Healthy {
        after: Duration::from_millis(300),
    });
    // Polling every 8 s could not finish in under 4 s; only the watch sees the change in time.
    let provisioner = provisioner(
        &fake,
        KubernetesSettings {
            poll_interval: Duration::from_secs(8),
            ..settings()
        },
    );
    let started = Instant::now();
    provisioner
        .apply(&request("preview-w", "main"))
        .await
        .unwrap();
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_secs(4),
        "{took:?}"
    );
    let reads = fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET" && r.kind == Some("Application") && !r.query.contains_key("watch")
        })
        .count();
    assert_eq!(
        (reads, watches(&fake).len()),
        (2, 1),
        "the ownership check's read and the read the watch starts from, then one watch"
    );
}

#[tokio::test]
async fn a_cluster_that_serves_no_watches_is_polled_and_the_apply_still_completes() {
    let fake = KubeFake::start().await;
    fake.set_watch_served(false);
    fake.set_controller(ArgoController::Healthy {
        after: Duration::from_millis(200),
    });
    let outputs = provisioner(&fake, settings())
        .apply(&request("preview-p", "main"))
        .await
        .unwrap();
    assert_eq!(
        outputs.endpoint(),
        Some("https://preview-p.preview.example.com")
    );
    let watches = watches(&fake);
    assert_eq!(watches.len(), 1, "refused once, never asked again");
    assert_eq!(watches[0].status, 405);
    let reads = fake
        .requests()
        .iter()
        .filter(|r| {
            r.method == "GET" && r.kind == Some("Application") && !r.query.contains_key("watch")
        })
        .count();
    assert!(reads > 2, "the application was polled {reads} times");
}

#[tokio::test]
async fn an_application_deleted_during_the_watch_fails_the_apply_at_once() {
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Progressing);
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-d", "main");
    let remover = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        fake.remove(
            "argoproj.io/v1alpha1",
            "Application",
            Some("argocd"),
            "preview-d",
        )
    };
    let started = Instant::now();
    let (applied, removed) = tokio::join!(provisioner.apply(&request), remover);
    assert!(removed);
    let Err(ProvisionError::Failed {
        step, stderr_tail, ..
    }) = applied
    else {
        panic!("{applied:?}");
    };
    assert!(step.contains("Synced and Healthy"), "{step}");
    assert!(
        stderr_tail.contains("was deleted while idp waited"),
        "{stderr_tail}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not the sync timeout"
    );
}

#[tokio::test]
async fn an_application_that_never_gets_healthy_is_a_timeout_saying_how_it_stands() {
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Progressing);
    let settings = KubernetesSettings {
        sync_timeout: Duration::from_millis(300),
        ..settings()
    };
    let error = provisioner(&fake, settings)
        .apply(&request("preview-a", "main"))
        .await
        .unwrap_err();
    let ProvisionError::Timeout {
        step,
        after,
        output_tail,
    } = &error
    else {
        panic!("expected a timeout, got {error:?}");
    };
    assert_eq!(
        step,
        "wait for Application/argocd/preview-a to be Synced and Healthy"
    );
    assert_eq!(*after, Duration::from_millis(300));
    assert!(
        output_tail.starts_with("sync OutOfSync, health Progressing"),
        "{output_tail}"
    );
    assert!(
        output_tail.contains("waiting for healthy state of apps/Deployment/app"),
        "{output_tail}"
    );
    assert!(error.to_string().contains("raise the timeout"), "{error}");

    // A controller that never reports says so.
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Stopped);
    let settings = KubernetesSettings {
        sync_timeout: Duration::from_millis(200),
        ..self::settings()
    };
    let error = provisioner(&fake, settings)
        .apply(&request("preview-a", "main"))
        .await
        .unwrap_err();
    assert!(
        error
            .detail()
            .contains("is its application controller running?"),
        "{}",
        error.detail()
    );
}

#[tokio::test]
async fn a_degraded_application_fails_at_once_with_what_argo_cd_says() {
    let fake = KubeFake::start().await;
    fake.set_controller(ArgoController::Degraded {
        after: Duration::from_millis(50),
        message: "Deployment \"app\" exceeded its progress deadline".to_owned(),
    });
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-a", "main");
    let started = Instant::now();
    let error = provisioner.apply(&request).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "it did not wait for the timeout"
    );
    assert!(matches!(error, ProvisionError::Failed { .. }), "{error:?}");
    let shown = error.to_string();
    assert!(
        shown
            .starts_with("`wait for Application/argocd/preview-a to be Synced and Healthy` failed"),
        "{shown}"
    );
    assert!(
        shown.ends_with("Error: Argo CD reports the application Degraded: health: Deployment \"app\" exceeded its progress deadline"),
        "{shown}"
    );
    assert_eq!(
        provisioner.health(&request).await.unwrap(),
        RuntimeHealth::Stopped
    );
}

#[tokio::test]
async fn without_argo_cd_apply_says_it_is_not_installed_and_applies_nothing() {
    let fake = KubeFake::without_argocd().await;
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-a", "main");
    let error = provisioner.apply(&request).await.unwrap_err();
    assert!(
        matches!(
            error,
            ProvisionError::Unavailable {
                retryable: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "kubernetes is unavailable: Argo CD is not installed: the cluster serves no `AppProject` in `argoproj.io/v1alpha1` (the Argo CD CustomResourceDefinitions are missing); install Argo CD in namespace `argocd`, then run the command again"
    );
    assert!(patches(&fake).is_empty(), "{:?}", patches(&fake));
    // Nothing to destroy, and destroying it works without Argo CD.
    provisioner.destroy(&request).await.unwrap();
    assert!(
        provisioner
            .outputs(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn a_push_re_applies_with_the_new_branch_and_waits_for_argo_cd_to_compare_it() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    provisioner
        .apply(&request("preview-a", "feature/login"))
        .await
        .unwrap();
    let before = application(&fake, "preview-a").unwrap();
    assert_eq!(before["spec"]["source"]["targetRevision"], "feature/login");
    assert_eq!(before["status"]["health"]["status"], "Healthy");

    // The status of the old revision stays until the controller compares the new one.
    fake.set_controller(ArgoController::Healthy {
        after: Duration::from_millis(400),
    });
    let started = Instant::now();
    let pushed = request("preview-a", "feature/login-v2");
    let outputs = provisioner.apply(&pushed).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let after = application(&fake, "preview-a").unwrap();
    assert_eq!(
        after["spec"]["source"]["targetRevision"],
        "feature/login-v2"
    );
    assert_eq!(
        after["status"]["sync"]["comparedTo"]["source"]["targetRevision"],
        "feature/login-v2"
    );
    assert_eq!(
        after["metadata"]["uid"], before["metadata"]["uid"],
        "updated in place"
    );
    assert_eq!(after["metadata"]["generation"], 2);
    assert_eq!(
        outputs.endpoint(),
        Some("https://preview-a.preview.example.com")
    );
}

#[tokio::test]
async fn destroy_deletes_the_application_first_and_waits_for_its_prune_then_the_project_and_the_namespace()
 {
    let fake = KubeFake::start().await;
    fake.set_prune(Some(Duration::from_millis(300)));
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-a", "main");
    provisioner.apply(&request).await.unwrap();
    fake.clear_requests();

    provisioner.destroy(&request).await.unwrap();
    assert_eq!(
        deletes(&fake),
        [
            "Application/argocd/preview-a",
            "AppProject/argocd/preview-a",
            "Namespace/preview-a"
        ]
    );
    let log = fake.requests();
    let app_delete = log
        .iter()
        .find(|r| r.method == "DELETE" && r.kind == Some("Application"))
        .unwrap();
    let body = app_delete.body.as_ref().unwrap();
    assert_eq!(body["propagationPolicy"], "Foreground");
    assert!(body["preconditions"]["uid"].is_string(), "{body}");
    // The project was deleted only once the application was gone (its finalizer removed).
    let gone = log
        .iter()
        .position(|r| r.method == "GET" && r.kind == Some("Application") && r.status == 404)
        .unwrap();
    let project = log
        .iter()
        .position(|r| r.method == "DELETE" && r.kind == Some("AppProject"))
        .unwrap();
    assert!(gone < project);
    // Only labelled objects were listed for deletion.
    for list in log
        .iter()
        .filter(|r| r.method == "GET" && r.name.is_none() && r.kind.is_some())
    {
        assert_eq!(
            list.query.get("labelSelector").map(String::as_str),
            Some("idp.dev/environment=preview-a")
        );
    }
    assert_eq!(fake.objects(), CLUSTER_NAMESPACES);
    assert!(
        provisioner
            .outputs(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    assert!(
        provisioner
            .health(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn destroy_is_idempotent_and_finishes_what_an_interrupted_destroy_left() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-a", "main");
    // Never applied: twice.
    provisioner.destroy(&request).await.unwrap();
    provisioner.destroy(&request).await.unwrap();
    assert!(deletes(&fake).is_empty());

    // Argo CD does not prune: the destroy gives up on the application, and says why.
    provisioner.apply(&request).await.unwrap();
    fake.set_prune(None);
    let short = KubernetesSettings {
        delete_timeout: Duration::from_millis(300),
        ..settings()
    };
    let hurried = self::provisioner(&fake, short.clone());
    let error = hurried.destroy(&request).await.unwrap_err();
    assert!(matches!(error, ProvisionError::Timeout { .. }), "{error:?}");
    let detail = error.detail();
    assert!(detail.contains(ARGOCD_FINALIZER), "{detail}");
    assert!(
        detail.contains("check that its application controller runs"),
        "{detail}"
    );
    // Once it prunes, the next destroy carries on without deleting the application again.
    fake.set_prune(Some(Duration::from_millis(10)));
    fake.clear_requests();
    provisioner.destroy(&request).await.unwrap();
    assert_eq!(
        deletes(&fake),
        ["AppProject/argocd/preview-a", "Namespace/preview-a"]
    );
    assert_eq!(fake.objects(), CLUSTER_NAMESPACES);

    // Interrupted while the namespace terminates: the next destroy waits for it (a second
    // DELETE of a terminating namespace is a 409 upstream, and is not sent).
    provisioner.apply(&request).await.unwrap();
    fake.set_namespace_termination(Duration::from_millis(800));
    let error = hurried.destroy(&request).await.unwrap_err();
    assert!(
        error.detail().contains("phase: Terminating"),
        "{}",
        error.detail()
    );
    fake.clear_requests();
    provisioner.destroy(&request).await.unwrap();
    assert!(deletes(&fake).is_empty(), "{:?}", deletes(&fake));
    assert_eq!(fake.objects(), CLUSTER_NAMESPACES);

    // Interrupted after the application went: the rest is deleted.
    fake.set_namespace_termination(Duration::from_millis(10));
    provisioner.apply(&request).await.unwrap();
    assert!(fake.remove(
        "argoproj.io/v1alpha1",
        "Application",
        Some("argocd"),
        "preview-a"
    ));
    fake.clear_requests();
    provisioner.destroy(&request).await.unwrap();
    assert_eq!(
        deletes(&fake),
        ["AppProject/argocd/preview-a", "Namespace/preview-a"]
    );
    provisioner.destroy(&request).await.unwrap();
    assert_eq!(fake.objects(), CLUSTER_NAMESPACES);
}

#[tokio::test]
async fn outputs_and_health_of_a_never_applied_environment_are_not_found() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    let request = request("preview-never", "main");
    let outputs = provisioner.outputs(&request).await.unwrap_err();
    assert!(outputs.is_not_found(), "{outputs:?}");
    assert_eq!(
        outputs.to_string(),
        "environment `preview-never` has nothing provisioned; create it first"
    );
    assert!(
        provisioner
            .health(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
}

#[tokio::test]
async fn the_longest_name_and_a_hostile_owner_make_valid_objects() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    let env = format!("p{}", "a".repeat(MAX_LEN - 2)) + "9";
    assert_eq!(env.len(), MAX_LEN);
    let mut request = request(&env, "feature/ünïcode;rm -rf /");
    request.tfvars.insert(
        "owner".to_owned(),
        json!("<img src=x onerror=alert(1)>\n@evil\u{0}"),
    );
    let outputs = provisioner.apply(&request).await.unwrap();
    assert_eq!(
        outputs.endpoint(),
        Some(format!("https://{env}.preview.example.com").as_str())
    );
    // The fake validates names and label values as the API server does; every apply passed.
    assert!(patches(&fake).iter().all(|p| matches!(p.status, 200 | 201)));
    let ns = fake.get("v1", "Namespace", None, &env).unwrap();
    assert_eq!(
        ns["metadata"]["labels"]["idp.dev/owner"],
        "img-src-x-onerror-alert-1----evil"
    );
    assert_eq!(
        ns["metadata"]["annotations"]["idp.dev/owner"],
        "<img src=x onerror=alert(1)>\n@evil\u{0}"
    );
    assert_eq!(
        application(&fake, &env).unwrap()["spec"]["source"]["targetRevision"],
        "feature/ünïcode;rm -rf /"
    );
    provisioner.destroy(&request).await.unwrap();
    assert_eq!(fake.objects(), CLUSTER_NAMESPACES);
}

#[tokio::test]
async fn the_clusters_own_namespaces_and_objects_idp_did_not_make_are_never_touched() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    for env in ["kube-system", "kube-public", "default", "argocd"] {
        let request = request(env, "main");
        for error in [
            provisioner.apply(&request).await.unwrap_err(),
            provisioner.destroy(&request).await.unwrap_err(),
            provisioner.outputs(&request).await.unwrap_err(),
        ] {
            let ProvisionError::InvalidRequest { reason } = &error else {
                panic!("{env}: {error:?}");
            };
            assert!(reason.contains("belong to the cluster"), "{reason}");
        }
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());

    // A namespace of the environment's name that idp did not label.
    fake.put(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "preview-taken", "labels": {"team": "payments"}}}));
    let request = request("preview-taken", "main");
    let error = provisioner.apply(&request).await.unwrap_err();
    let ProvisionError::InvalidRequest { reason } = &error else {
        panic!("{error:?}");
    };
    assert!(
        reason.starts_with("Namespace/preview-taken exists and is not environment `preview-taken`'s (it has no label `idp.dev/environment=preview-taken`)"),
        "{reason}"
    );
    assert!(patches(&fake).is_empty());
    assert!(
        provisioner
            .outputs(&request)
            .await
            .unwrap_err()
            .is_not_found()
    );
    provisioner.destroy(&request).await.unwrap();
    assert!(deletes(&fake).is_empty());
    assert!(fake.get("v1", "Namespace", None, "preview-taken").is_some());
}

#[tokio::test]
async fn a_missing_variable_or_another_template_is_refused_before_any_request() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    let mut request = request("preview-a", "main");
    request.tfvars.remove("repo_url");
    let error = provisioner.apply(&request).await.unwrap_err();
    let ProvisionError::InvalidRequest { reason } = &error else {
        panic!("{error:?}");
    };
    assert!(
        reason.starts_with("variable `repo_url` is missing: template `k8s-namespace` takes"),
        "{reason}"
    );
    assert!(reason.contains("`preview_domain`"), "{reason}");
    // The domain's own advice is kept as it is.
    let mut request = self::request("preview-a", "main");
    request.tfvars.insert("repo_url".to_owned(), json!(""));
    let error = provisioner.apply(&request).await.unwrap_err();
    assert!(
        error.to_string().ends_with("set `kubernetes.repo_url` in .idp/config.yml, or create the environment from a pull request"),
        "{error}"
    );

    let mut request = self::request("preview-a", "main");
    request.template = TemplateName::new("api-service").unwrap();
    let error = provisioner.apply(&request).await.unwrap_err();
    assert!(
        matches!(error, ProvisionError::InvalidRequest { .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("`api-service`"), "{error}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn a_refused_apply_is_failed_with_the_servers_message_and_secrets_masked() {
    let fake = KubeFake::start().await;
    let provisioner = provisioner(&fake, settings());
    let secret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-Zq9xW";
    let mut request = request("preview-a", "main");
    request.tfvars.insert(
        "secret_variables".to_owned(),
        json!({"DB_PASSWORD": secret}),
    );
    fake.reject_next_apply(
        403,
        "Forbidden",
        &format!("namespaces is forbidden: User \"{secret}\" cannot patch resource \"namespaces\""),
    );
    let error = provisioner.apply(&request).await.unwrap_err();
    let shown = format!("{error} {error:?} {}", error.detail());
    assert!(!shown.contains(secret), "{shown}");
    let ProvisionError::Failed {
        step, stderr_tail, ..
    } = &error
    else {
        panic!("{error:?}");
    };
    assert_eq!(step, "server-side apply of Namespace/preview-a");
    assert!(
        stderr_tail.starts_with("Error: 403 Forbidden: namespaces is forbidden: User \"****\""),
        "{stderr_tail}"
    );
    assert!(
        stderr_tail.contains("Grant idp's identity the permission"),
        "{stderr_tail}"
    );
}

#[tokio::test]
async fn an_api_server_that_cannot_be_reached_is_unavailable_and_retryable() {
    let url = {
        let fake = KubeFake::start().await;
        fake.url().to_owned()
    };
    // The fake's server task ends once it is polled after the abort.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let provisioner = KubernetesProvisioner::for_url(&url, settings()).unwrap();
    let error = provisioner
        .outputs(&request("preview-a", "main"))
        .await
        .unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("cannot reach the Kubernetes API server"),
        "{error}"
    );
}
