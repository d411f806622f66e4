//! The `kubernetes:` section of `.idp/config.yml` (template `k8s-namespace`): quantities the
//! API server would reject, names RBAC and Argo CD would reject, caught at the line of the key.

use super::read::{Parsed, Report, shown, unknown_key_fix};
use super::schema::KUBERNETES_KEYS;
use super::{Config, KubernetesConfig};
use crate::domain::kubernetes::namespace::TEMPLATE;

/// Checks the `kubernetes:` section into `config.kubernetes`.
pub(super) fn validate(parsed: &Parsed, config: &mut Config, report: &mut Report<'_>) {
    let Some(section) = &parsed.kubernetes else {
        return;
    };
    let at = |key: &str| parsed.pos(&format!("kubernetes.{key}"), &["kubernetes"]);
    if config.template.as_str() != TEMPLATE {
        report.push(
            parsed.pos("kubernetes", &[]),
            "kubernetes",
            None,
            format!(
                "`kubernetes:` applies to the template `{TEMPLATE}`, not `{}`",
                config.template
            ),
            format!("set `template: {TEMPLATE}`, or remove the `kubernetes:` section"),
        );
        return;
    }
    let mut k = KubernetesConfig::default();
    for (key, value) in section {
        let path = format!("kubernetes.{key}");
        let mut bad = |message: String, fix: &str| {
            report.push(at(key), &path, Some(value), message, fix);
        };
        match key.as_str() {
            "cpu" | "default_cpu" => match is_cpu(value) {
                true if key == "cpu" => k.cpu.clone_from(value),
                true => k.default_cpu.clone_from(value),
                false => bad(
                    format!("`{}` is not a CPU quantity", shown(value)),
                    "write whole or decimal CPUs or millicores, e.g. `2`, `0.5` or `500m`",
                ),
            },
            "memory" | "default_memory" => match is_memory(value) {
                true if key == "memory" => k.memory.clone_from(value),
                true => k.default_memory.clone_from(value),
                false => bad(
                    format!("`{}` is not a memory quantity", shown(value)),
                    "write bytes with a binary suffix, e.g. `512Mi` or `4Gi`",
                ),
            },
            "pods" => match value.parse::<u32>() {
                Ok(n @ 1..=1000) => k.pods = n,
                _ => bad(
                    format!("`{}` is not a number of pods", shown(value)),
                    "write a whole number between 1 and 1000, e.g. `pods: 20`",
                ),
            },
            "repo_url" => {
                if is_repo_url(value) {
                    k.repo_url = Some(value.clone());
                } else {
                    bad(
                        format!("`{}` is not a repository URL", shown(value)),
                        "write the clone URL, e.g. `https://github.com/acme/payments.git`",
                    );
                }
            }
            "path" => {
                if is_repo_path(value) {
                    k.path = value.trim_end_matches('/').to_owned();
                } else {
                    bad(
                        format!("`{}` is not a folder inside the repository", shown(value)),
                        "write a relative path without `..`, e.g. `k8s` or `deploy/preview`",
                    );
                }
            }
            "role_arn" => {
                if is_role_arn(value) {
                    k.role_arn = Some(value.clone());
                } else {
                    bad(
                        format!("`{}` is not an IAM role ARN", shown(value)),
                        "write `arn:aws:iam::<account>:role/<name>`",
                    );
                }
            }
            "group" | "viewer_group" => {
                if is_subject(value) {
                    if key == "group" {
                        k.group = Some(value.clone());
                    } else {
                        k.viewer_group.clone_from(value);
                    }
                } else {
                    bad(
                        format!("`{}` is not a group name", shown(value)),
                        "write the group as your cluster's authenticator names it, e.g. `acme/payments`",
                    );
                }
            }
            "ingress_class" | "ingress_namespace" | "tls_secret" => {
                if is_dns_label(value) {
                    match key.as_str() {
                        "ingress_class" => k.ingress_class.clone_from(value),
                        "ingress_namespace" => k.ingress_namespace.clone_from(value),
                        _ => k.tls_secret = Some(value.clone()),
                    }
                } else {
                    bad(
                        format!("`{}` is not a Kubernetes name", shown(value)),
                        "use at most 63 lower-case letters, digits and `-`, e.g. `alb`",
                    );
                }
            }
            _ => report.push(
                at(key),
                &path,
                None,
                format!("unknown key `{}`", shown(key)),
                unknown_key_fix(key, &KUBERNETES_KEYS),
            ),
        }
    }
    config.kubernetes = k;
}

/// `2`, `0.5`, `500m`.
fn is_cpu(text: &str) -> bool {
    let digits = text.strip_suffix('m').unwrap_or(text);
    let mut parts = digits.splitn(2, '.');
    let whole = parts.next().unwrap_or_default();
    let fraction = parts.next();
    !whole.is_empty()
        && whole.len() <= 9
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction
            .is_none_or(|f| !f.is_empty() && f.len() <= 3 && f.bytes().all(|b| b.is_ascii_digit()))
        && !(text.ends_with('m') && fraction.is_some())
        && digits.bytes().any(|b| b != b'0' && b != b'.')
}

/// `512Mi`, `4Gi`, `1000000`.
fn is_memory(text: &str) -> bool {
    let number = ["Ki", "Mi", "Gi", "Ti", "k", "M", "G", "T"]
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix))
        .unwrap_or(text);
    !number.is_empty()
        && number.len() <= 12
        && number.bytes().all(|b| b.is_ascii_digit())
        && number.bytes().any(|b| b != b'0')
}

fn is_repo_url(text: &str) -> bool {
    let rest = ["https://", "ssh://", "git@"]
        .iter()
        .find_map(|p| text.strip_prefix(p));
    rest.is_some_and(|r| {
        r.len() > 3 && r.len() <= 400 && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
}

fn is_repo_path(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 200
        && !text.starts_with('/')
        && text
            .split('/')
            .filter(|s| !s.is_empty())
            .all(|s| s != ".." && s != ".")
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
}

fn is_role_arn(text: &str) -> bool {
    let Some(rest) = text.strip_prefix("arn:") else {
        return false;
    };
    let parts: Vec<&str> = rest.splitn(5, ':').collect();
    matches!(parts.as_slice(), [partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.bytes().all(|b| b.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty() && n.len() <= 512))
}

fn is_subject(text: &str) -> bool {
    !text.trim().is_empty() && text.len() <= 256 && !text.chars().any(char::is_control)
}

fn is_dns_label(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 63
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !text.starts_with('-')
        && !text.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_checked_as_the_api_server_would() {
        for ok in ["2", "0.5", "500m", "1.25"] {
            assert!(is_cpu(ok), "{ok}");
        }
        for bad in ["", "m", "0", "2 cpus", "1.5m", "-1", "1e3", "0.0001"] {
            assert!(!is_cpu(bad), "{bad}");
        }
        for ok in ["512Mi", "4Gi", "1000000", "1G"] {
            assert!(is_memory(ok), "{ok}");
        }
        for bad in ["", "Gi", "0Mi", "4 GB", "4gb", "-1Gi"] {
            assert!(!is_memory(bad), "{bad}");
        }
    }

    #[test]
    fn names_urls_and_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/idp-app"));
        assert!(!is_role_arn("arn:aws:iam::1234:role/x"));
        assert!(!is_role_arn("arn:aws:s3:::bucket"));
        assert!(is_repo_url("https://github.com/acme/payments.git"));
        assert!(is_repo_url("git@github.com:acme/payments.git"));
        assert!(!is_repo_url("http://github.com/acme/payments"));
        assert!(!is_repo_url("https://github.com/a b"));
        assert!(is_repo_path("deploy/preview/"));
        assert!(!is_repo_path("../k8s"));
        assert!(!is_repo_path("/k8s"));
        assert!(is_dns_label("ingress-nginx"));
        assert!(!is_dns_label("Ingress"));
    }
}
