//! `idp create --template k8s-namespace` → `status` → `extend` → `cost` → `destroy` on the local backend,
//! with the cluster of `KUBECONFIG`: a loopback stand-in for the Kubernetes API
//! (`idp_test_support::kube_fake`) that also plays the Argo CD controller. No real API server
//! runs on the machines this is tested on.

use idp_test_support::kube_fake::KubeFake;

use crate::{idp, run};

fn kubeconfig(dir: &std::path::Path, server: &str) -> std::path::PathBuf {
    let path = dir.join("kubeconfig");
    fs_err::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {server}\nusers:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\n"
        ),
    )
    .unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_namespace_preview_is_created_reported_and_destroyed_through_the_cli() {
    let fake = KubeFake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    fs_err::write(
        &config,
        "template: k8s-namespace\ncontainer_port: 8080\nkubernetes:\n  repo_url: https://github.com/acme/payments.git\n  group: acme/payments\n",
    )
    .unwrap();
    let kubeconfig = kubeconfig(dir.path(), fake.url());
    let state = dir.path().to_path_buf();
    let cli = move |args: Vec<String>| {
        let mut cmd = idp(&state);
        cmd.env("KUBECONFIG", &kubeconfig)
            .env("IDP_PREVIEW_DOMAIN", "preview.example.com")
            .args(args);
        run(&mut cmd)
    };
    let call = |args: &[&str]| {
        let cli = cli.clone();
        let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
        tokio::task::spawn_blocking(move || cli(args))
    };
    let config = config.to_string_lossy().into_owned();

    let created = call(&[
        "-o",
        "json",
        "create",
        "--name",
        "preview-k8s",
        "--config",
        &config,
        "--ttl",
        "2h",
        "--yes",
    ])
    .await
    .unwrap();
    assert_eq!(created.code, 0, "{}", created.stderr);
    let doc: serde_json::Value = serde_json::from_str(&created.stdout).unwrap();
    assert_eq!(doc["outcome"], "created", "{doc}");
    assert_eq!(doc["endpoint"], "https://preview-k8s.preview.example.com");
    let objects = fake.objects();
    for kind in ["Namespace", "RoleBinding", "Application", "Ingress"] {
        assert!(
            objects
                .iter()
                .any(|o| o.contains(kind) && o.contains("preview-k8s")),
            "{kind} applied: {objects:?}"
        );
    }
    assert!(
        fake.requests()
            .iter()
            .filter(|r| r.is_apply())
            .all(|r| r.field_manager() == Some("idp")),
        "every object is applied by field manager idp"
    );

    let status = call(&["-o", "json", "status", "preview-k8s"])
        .await
        .unwrap();
    assert_eq!(status.code, 0, "{}", status.stderr);
    let doc: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(doc["environment"]["status"], "active", "{doc}");
    assert_eq!(doc["environment"]["template"], "k8s-namespace", "{doc}");

    let expiry = |fake: &KubeFake| {
        fake.get("v1", "Namespace", None, "preview-k8s")
            .and_then(|ns| {
                ns["metadata"]["annotations"]["idp.dev/expires-at"]
                    .as_str()
                    .map(str::to_owned)
            })
    };
    let before = expiry(&fake).expect("the namespace carries its expiry");
    let extended = call(&["-o", "json", "extend", "preview-k8s", "--ttl", "1d"])
        .await
        .unwrap();
    assert_eq!(extended.code, 0, "{}", extended.stderr);
    let doc: serde_json::Value = serde_json::from_str(&extended.stdout).unwrap();
    assert_eq!(doc["outcome"], "extended", "{doc}");
    let after = expiry(&fake).unwrap();
    assert_ne!(
        before, after,
        "extend re-applies and the annotation follows"
    );
    let recorded = doc["environment"]["expires_at"].as_str().unwrap();
    assert!(
        recorded.starts_with(after.trim_end_matches('Z')),
        "the annotation is the recorded expiry to the second: {after} vs {recorded}"
    );

    let cost = call(&["-o", "json", "cost", "preview-k8s"]).await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&cost.stdout).unwrap();
    assert!(
        doc.to_string().contains("Node share"),
        "the estimate is a share of the nodes: {doc}"
    );

    let destroyed = call(&["-o", "json", "destroy", "preview-k8s", "--yes"])
        .await
        .unwrap();
    assert_eq!(destroyed.code, 0, "{}", destroyed.stderr);
    let left: Vec<String> = fake
        .objects()
        .into_iter()
        .filter(|o| o.contains("preview-k8s"))
        .collect();
    assert!(left.is_empty(), "nothing of the preview is left: {left:?}");
}

#[test]
fn without_a_cluster_a_namespace_preview_is_refused_naming_kubeconfig() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yml");
    fs_err::write(
        &config,
        "template: k8s-namespace\nkubernetes:\n  repo_url: https://github.com/acme/payments.git\n",
    )
    .unwrap();
    let r = run(idp(dir.path())
        .env("KUBECONFIG", dir.path().join("no-such-kubeconfig"))
        .env("HOME", dir.path())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("IDP_PREVIEW_DOMAIN", "preview.example.com")
        .args(["create", "--name", "preview-none", "--config"])
        .arg(&config)
        .args(["--yes"]));
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("KUBECONFIG"), "{}", r.stderr);
}
