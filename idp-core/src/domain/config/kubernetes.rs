//! The `kubernetes:` section of `.idp/config.yml` (template `k8s-namespace`): quantities the
//! API server would reject, names RBAC and Argo CD would reject, caught at the line of the key.

use super::read::{Parsed, Report, shown, unknown_key_fix};
use super::schema::KUBERNETES_KEYS;
use super::{Config, KubernetesConfig};
use crate::domain::kubernetes::namespace::TEMPLATE;
use crate::domain::kubernetes::teams::check::{self, Problem, Resource};

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
    let refused = |message: String, fix: &str| Problem {
        message,
        fix: fix.to_owned(),
    };
    for (key, value) in section {
        let path = format!("kubernetes.{key}");
        let cpu = || check::quantity(value, Resource::Cpu).map(drop);
        let memory = || check::quantity(value, Resource::Memory).map(drop);
        // The names, quantities, groups and paths follow the rules of the team files.
        let outcome = match key.as_str() {
            "cpu" => cpu().map(|()| k.cpu.clone_from(value)),
            "default_cpu" => cpu().map(|()| k.default_cpu.clone_from(value)),
            "memory" => memory().map(|()| k.memory.clone_from(value)),
            "default_memory" => memory().map(|()| k.default_memory.clone_from(value)),
            "path" => check::repo_path(value, "k8s")
                .map(|()| k.path = value.trim_end_matches('/').to_owned()),
            "group" => check::group(value).map(|()| k.group = Some(value.clone())),
            "viewer_group" => check::group(value).map(|()| k.viewer_group.clone_from(value)),
            "ingress_class" => {
                check::dns_label(value, 63, "alb").map(|()| k.ingress_class.clone_from(value))
            }
            "ingress_namespace" => check::dns_label(value, 63, "kube-system")
                .map(|()| k.ingress_namespace.clone_from(value)),
            "tls_secret" => check::dns_label(value, 63, "wildcard-preview")
                .map(|()| k.tls_secret = Some(value.clone())),
            "pods" => match value.parse::<u32>() {
                Ok(n @ 1..=1000) => {
                    k.pods = n;
                    Ok(())
                }
                _ => Err(refused(
                    format!("`{}` is not a number of pods", shown(value)),
                    "write a whole number between 1 and 1000, e.g. `pods: 20`",
                )),
            },
            "repo_url" if is_repo_url(value) => {
                k.repo_url = Some(value.clone());
                Ok(())
            }
            "repo_url" => Err(refused(
                format!("`{}` is not a repository URL", shown(value)),
                "write the clone URL, e.g. `https://github.com/acme/payments.git`",
            )),
            "role_arn" if is_role_arn(value) => {
                k.role_arn = Some(value.clone());
                Ok(())
            }
            "role_arn" => Err(refused(
                format!("`{}` is not an IAM role ARN", shown(value)),
                "write `arn:aws:iam::<account>:role/<name>`",
            )),
            _ => {
                report.push(
                    at(key),
                    &path,
                    None,
                    format!("unknown key `{}`", shown(key)),
                    unknown_key_fix(key, &KUBERNETES_KEYS),
                );
                continue;
            }
        };
        if let Err(problem) = outcome {
            report.push(at(key), &path, Some(value), problem.message, problem.fix);
        }
    }
    config.kubernetes = k;
}

fn is_repo_url(text: &str) -> bool {
    let rest = ["https://", "ssh://", "git@"]
        .iter()
        .find_map(|p| text.strip_prefix(p));
    rest.is_some_and(|r| {
        r.len() > 3 && r.len() <= 400 && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_arns() {
        assert!(is_role_arn("arn:aws:iam::123456789012:role/idp-app"));
        assert!(!is_role_arn("arn:aws:iam::1234:role/x"));
        assert!(!is_role_arn("arn:aws:s3:::bucket"));
        assert!(is_repo_url("https://github.com/acme/payments.git"));
        assert!(is_repo_url("git@github.com:acme/payments.git"));
        assert!(!is_repo_url("http://github.com/acme/payments"));
        assert!(!is_repo_url("https://github.com/a b"));
    }
}
