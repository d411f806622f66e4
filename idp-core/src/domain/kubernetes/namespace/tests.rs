//! The objects of a preview namespace, its variables and its label values.
use std::collections::BTreeSet;

use chrono::TimeZone;

use super::*;

fn spec(name: &str, owner: &str) -> NamespaceSpec {
    NamespaceSpec {
        env: EnvName::parse(name).unwrap(),
        owner: owner.to_owned(),
        developer_group: "acme/payments".to_owned(),
        viewer_group: "idp:viewers".to_owned(),
        repo_url: "https://github.com/acme/payments.git".to_owned(),
        revision: "feature/login".to_owned(),
        path: "k8s".to_owned(),
        argocd_namespace: ARGOCD_NAMESPACE.to_owned(),
        role_arn: Some("arn:aws:iam::123456789012:role/idp-preview-a-app".to_owned()),
        quota: Quota::default(),
        ingress: Ingress {
            class: "alb".to_owned(),
            domain: "preview.example.com".to_owned(),
            controller_namespace: "kube-system".to_owned(),
            certificate_arn: Some("arn:aws:acm:us-east-1:123456789012:certificate/abc".to_owned()),
            tls_secret: None,
            group: "idp-previews".to_owned(),
            service: "app".to_owned(),
            port: 8080,
        },
        expires_at: Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap(),
    }
}

fn kinds(manifests: &[Manifest]) -> Vec<(i32, &str, &str)> {
    manifests
        .iter()
        .map(|m| (m.wave, m.kind(), m.name()))
        .collect()
}

#[test]
fn a_preview_is_its_namespace_constraints_access_project_application_and_ingress_in_wave_order() {
    let out = render(&spec("preview-a", "dev@example.com"));
    assert_eq!(
        kinds(&out),
        vec![
            (-5, "Namespace", "preview-a"),
            (-4, "ResourceQuota", "preview-quota"),
            (-4, "LimitRange", "preview-limits"),
            (-4, "NetworkPolicy", "default-deny-all"),
            (-4, "NetworkPolicy", "allow-dns"),
            (-4, "NetworkPolicy", "allow-same-namespace"),
            (-4, "NetworkPolicy", "allow-ingress-controller"),
            (-3, "ServiceAccount", "app"),
            (-3, "Role", "developer"),
            (-3, "Role", "viewer"),
            (-3, "RoleBinding", "developer"),
            (-3, "RoleBinding", "viewer"),
            (-1, "AppProject", "preview-a"),
            (0, "Application", "preview-a"),
            (2, "Ingress", "preview"),
        ]
    );
    for m in &out {
        let labels = &m.object["metadata"]["labels"];
        assert_eq!(labels[ENVIRONMENT_LABEL], "preview-a", "{}", m.label());
        assert_eq!(labels[OWNER_LABEL], "dev-example.com", "{}", m.label());
        assert_eq!(labels[TEMPLATE_LABEL], TEMPLATE, "{}", m.label());
        assert_eq!(
            m.object["metadata"]["annotations"][OWNER_ANNOTATION],
            "dev@example.com"
        );
        let expected = match m.kind() {
            "Namespace" => None,
            "AppProject" | "Application" => Some(ARGOCD_NAMESPACE),
            _ => Some("preview-a"),
        };
        assert_eq!(m.namespace(), expected, "{}", m.label());
    }
}

#[test]
fn every_role_is_bound_and_every_network_policy_selects_pods() {
    let out = render(&spec("preview-a", "dev"));
    let roles: BTreeSet<&str> = out
        .iter()
        .filter(|m| m.kind() == "Role")
        .map(Manifest::name)
        .collect();
    let bound: BTreeSet<&str> = out
        .iter()
        .filter(|m| m.kind() == "RoleBinding")
        .filter_map(|m| m.object["roleRef"]["name"].as_str())
        .collect();
    assert_eq!(roles, bound);
    assert_eq!(roles.len(), 2);
    for m in out.iter().filter(|m| m.kind() == "NetworkPolicy") {
        assert!(
            m.object["spec"]["podSelector"].is_object(),
            "{} selects no pods",
            m.label()
        );
    }
    for m in out.iter().filter(|m| m.kind() == "Role") {
        let text = m.object["rules"].to_string();
        assert!(!text.contains('*'), "no wildcard in {}: {text}", m.label());
        assert!(!text.contains("secrets"), "{text}");
    }
}

#[test]
fn the_application_follows_the_branch_and_is_deleted_with_its_resources() {
    let out = render(&spec("preview-a", "dev"));
    let app = out.iter().find(|m| m.kind() == "Application").unwrap();
    assert_eq!(
        app.object["spec"]["source"]["targetRevision"],
        "feature/login"
    );
    assert_eq!(app.object["spec"]["source"]["path"], "k8s");
    assert_eq!(app.object["spec"]["destination"]["namespace"], "preview-a");
    assert_eq!(app.object["metadata"]["finalizers"][0], ARGOCD_FINALIZER);
    assert_eq!(app.object["spec"]["syncPolicy"]["automated"]["prune"], true);
    let project = out.iter().find(|m| m.kind() == "AppProject").unwrap();
    assert_eq!(
        project.object["spec"]["destinations"],
        json!([{"server": IN_CLUSTER, "namespace": "preview-a"}])
    );
    let ingress = out.iter().find(|m| m.kind() == "Ingress").unwrap();
    assert_eq!(
        ingress.object["spec"]["rules"][0]["host"],
        "preview-a.preview.example.com"
    );
    let account = out.iter().find(|m| m.kind() == "ServiceAccount").unwrap();
    assert_eq!(
        account.object["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
        "arn:aws:iam::123456789012:role/idp-preview-a-app"
    );
}

#[test]
fn label_values_are_valid_whatever_the_owner() {
    for (owner, label) in [
        ("dev@example.com", "dev-example.com"),
        ("octocat", "octocat"),
        ("@@@", "unknown"),
        ("", "unknown"),
        ("-x-", "x"),
    ] {
        assert_eq!(label_value(owner), label, "{owner}");
    }
    let long = label_value(&"a".repeat(300));
    assert_eq!(long.len(), 63);
}

#[test]
fn the_spec_is_read_back_from_its_variables() {
    let env = EnvName::parse("preview-a").unwrap();
    let mut vars: serde_json::Map<String, Value> = serde_json::from_value(json!({
        "environment_name": "preview-a", "owner": "dev", "expires_at": "2026-12-04T12:00:00Z",
        "repo_url": "https://github.com/acme/payments.git", "branch": "feature/login",
        "manifests_path": "", "developer_group": "acme/payments", "viewer_group": "",
        "role_arn": "", "quota_cpu": "2", "quota_memory": "4Gi", "quota_pods": 20,
        "default_cpu": "500m", "default_memory": "512Mi",
        "preview_domain": "preview.example.com", "ingress_class": "alb",
        "ingress_namespace": "", "acm_certificate_arn": "", "tls_secret": "",
        "container_port": 8080,
    }))
    .unwrap();
    for key in VARIABLES {
        assert!(vars.contains_key(key), "{key}");
    }
    let read = NamespaceSpec::from_vars(&env, &vars).unwrap();
    assert_eq!(read.path, "k8s");
    assert_eq!(read.viewer_group, "idp:viewers");
    assert_eq!(read.role_arn, None);
    assert_eq!(read.url(), "https://preview-a.preview.example.com");
    vars.insert("repo_url".to_owned(), json!(""));
    let err = NamespaceSpec::from_vars(&env, &vars).unwrap_err();
    assert!(err.contains("kubernetes.repo_url"), "{err}");
    vars.remove("repo_url");
    assert_eq!(
        NamespaceSpec::from_vars(&env, &vars).unwrap_err(),
        "variable `repo_url` is missing"
    );
}
