use proptest::prelude::*;

use super::*;
use crate::domain::kubernetes::Manifest;
use crate::domain::kubernetes::manifest::to_yaml;

const FILE: &str = "teams/payments/team.yaml";

const VALID: &str = "\
name: payments
description: Payments squad
members: [alice, bob-smith]
groups:
  - acme/payments
viewers: [acme/support]
quota:
  cpu: \"20\"
  memory: 40Gi
  pods: 60
limits:
  cpu: 250m
  memory: 256Mi
apps:
  - name: api
    repoURL: https://github.com/acme/payments-api
    path: deploy
    targetRevision: main
  - name: worker
    repoURL: https://github.com/acme/payments-worker
";

fn errors(text: &str) -> Vec<ConfigError> {
    parse(text, FILE, "payments").unwrap_err().0
}

/// The one error of `text`, as `line:key`.
fn only_error(text: &str) -> (usize, String, String) {
    let errors = errors(text);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let e = &errors[0];
    (e.line, e.key.clone(), e.message.clone())
}

fn platform() -> Platform {
    Platform {
        repo_url: "https://github.com/acme/gitops".to_owned(),
        ..Platform::default()
    }
}

#[test]
fn a_valid_file_is_read_with_its_defaults() {
    let team = parse(VALID, FILE, "payments").unwrap();
    assert_eq!(team.name, "payments");
    assert_eq!(team.members, ["alice", "bob-smith"]);
    assert_eq!(team.quota.pods, 60);
    assert_eq!(team.limits.cpu, "250m");
    assert_eq!(team.apps[1].path, DEFAULT_APP_PATH);
    assert_eq!(team.apps[1].target_revision, DEFAULT_APP_REVISION);
    let minimal = parse(
        "name: payments\ngroups: [acme/payments]\n",
        FILE,
        "payments",
    )
    .unwrap();
    assert_eq!(minimal.quota, Quota::default());
    assert_eq!(minimal.limits, Limits::default());
    assert_eq!(
        (minimal.quota.cpu.as_str(), minimal.quota.memory.as_str()),
        ("20", "40Gi")
    );
    assert_eq!(
        (minimal.limits.cpu.as_str(), minimal.limits.memory.as_str()),
        ("500m", "512Mi")
    );
}

#[test]
fn a_valid_team_renders_its_project_namespace_and_apps() {
    let team = parse(VALID, FILE, "payments").unwrap();
    let objects = team_objects(&team, &platform());
    let labels: Vec<String> = objects.iter().map(Manifest::label).collect();
    assert_eq!(
        labels,
        [
            "AppProject/argocd/team-payments",
            "Namespace/team-payments",
            "ResourceQuota/team-payments/team-quota",
            "LimitRange/team-payments/team-limits",
            "NetworkPolicy/team-payments/default-deny",
            "NetworkPolicy/team-payments/allow-same-namespace",
            "NetworkPolicy/team-payments/allow-dns",
            "Role/team-payments/developer",
            "Role/team-payments/viewer",
            "RoleBinding/team-payments/developer",
            "RoleBinding/team-payments/viewer",
            "Application/argocd/payments-api",
            "Application/argocd/payments-worker",
        ]
    );
    for m in &objects {
        assert_eq!(
            m.object["metadata"]["labels"][TEAM_LABEL],
            "payments",
            "{}",
            m.label()
        );
    }
    let project = &objects[0].object["spec"];
    assert_eq!(
        project["sourceRepos"],
        json(&[
            "https://github.com/acme/payments-api",
            "https://github.com/acme/payments-worker"
        ])
    );
    assert_eq!(project["destinations"][0]["namespace"], "team-payments");
    assert_eq!(project["roles"][0]["groups"], json(&["acme/payments"]));
    assert_eq!(project["roles"][1]["groups"], json(&["acme/support"]));
    let quota = &objects[2].object["spec"]["hard"];
    assert_eq!(
        (&quota["requests.cpu"], &quota["pods"]),
        (&json_str("20"), &json_str("60"))
    );
    let binding = &objects[9].object;
    assert_eq!(binding["subjects"][0]["kind"], "User");
    assert_eq!(binding["subjects"][2]["name"], "acme/payments");
    assert_eq!(
        objects[12].object["spec"]["source"]["targetRevision"],
        "HEAD"
    );
    let yaml = to_yaml(&objects);
    assert_eq!(yaml.matches("---\n").count(), objects.len());
}

fn json(items: &[&str]) -> serde_json::Value {
    serde_json::Value::Array(items.iter().map(|s| json_str(s)).collect())
}

fn json_str(s: &str) -> serde_json::Value {
    serde_json::Value::String(s.to_owned())
}

#[test]
fn the_applicationsets_use_go_templates_with_a_destination_and_a_sync_policy() {
    let sets = applicationsets(&platform());
    let names: Vec<&str> = sets.iter().map(Manifest::name).collect();
    assert_eq!(names, ["team-projects", "team-namespaces", "team-apps"]);
    for set in &sets {
        let spec = &set.object["spec"];
        assert_eq!(set.namespace(), Some("argocd"));
        assert_eq!(spec["goTemplate"], true);
        let template = &spec["template"]["spec"];
        assert!(
            template["destination"]["server"].is_string(),
            "{}",
            set.name()
        );
        assert!(
            template["destination"]["namespace"].is_string(),
            "{}",
            set.name()
        );
        assert_eq!(template["syncPolicy"]["automated"]["prune"], true);
        let text = serde_json::to_string(&set.object).unwrap();
        // One template syntax: no fasttemplate `{{name}}` left.
        assert!(
            !text.contains("{{name") && !text.contains("{{app"),
            "{text}"
        );
    }
    let git = &sets[0].object["spec"]["generators"][0]["git"];
    assert_eq!(git["files"][0]["path"], "teams/*/team.yaml");
    assert_eq!(git["revision"], "main");
    let helm = &sets[0].object["spec"]["template"]["spec"]["source"]["helm"];
    assert_eq!(
        helm["valueFiles"][0],
        "../../{{.path.path}}/{{.path.filename}}"
    );
    let matrix = &sets[2].object["spec"]["generators"][0]["matrix"]["generators"];
    assert!(
        matrix[1]["list"]["elementsYaml"]
            .as_str()
            .unwrap()
            .contains("- app: {{ toJson . }}")
    );
    assert_eq!(matrix[1]["list"]["elements"], serde_json::json!([]));
    assert_eq!(
        sets[2].object["spec"]["template"]["metadata"]["name"],
        "{{.name}}-{{.app.name}}"
    );
}

#[test]
fn unknown_keys_are_errors_with_a_did_you_mean() {
    let (line, key, message) = only_error("name: payments\ngroups: [a/b]\nmembrs: [alice]\n");
    assert_eq!((line, key.as_str()), (3, "membrs"));
    assert!(message.contains("unknown key"));
    let e = &errors(
        "name: payments\ngroups: [a/b]\napps:\n  - name: api\n    repoUrl: https://github.com/a/b\n",
    );
    let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys,
        ["apps[0].repoUrl"],
        "a likely typo is not also missing: {e:#?}"
    );
    assert_eq!(
        (e[0].line, e[0].fix.as_str()),
        (5, "did you mean `repoURL`?")
    );
    let e = errors("name: payments\ngroups: [a/b]\napps:\n  - name: api\n");
    assert_eq!(
        (e[0].key.as_str(), e[0].message.as_str()),
        ("apps[0].repoURL", "the app has no `repoURL`")
    );
    let e = errors("name: payments\ngroups: [a/b]\nquota:\n  cpus: 4\n");
    assert_eq!(
        (e[0].key.as_str(), e[0].fix.as_str()),
        ("quota.cpus", "did you mean `cpu`?")
    );
}

#[test]
fn every_error_of_a_file_is_reported_with_its_line_and_key() {
    let text = "\
name: Payments
members: [alice, \"org/team\", alice]
groups: [\" spaced\"]
quota:
  cpu: lots
  memory: 512m
  pods: \"50\"
limits:
  memory: 512
apps:
  - name: api
    repoURL: http://github.com/a/b
    path: ../escape
    targetRevision: \"bad ref\"
  - name: api
    repoURL: https://user:pw@github.com/a/b
  - name: project
  - just-a-string
";
    let errors = errors(text);
    let found: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.key.as_str())).collect();
    assert_eq!(
        found,
        [
            (1, "name"),
            (2, "members[1]"),
            (2, "members[2]"),
            (3, "groups[0]"),
            (5, "quota.cpu"),
            (6, "quota.memory"),
            (7, "quota.pods"),
            (9, "limits.memory"),
            (12, "apps[0].repoURL"),
            (13, "apps[0].path"),
            (14, "apps[0].targetRevision"),
            (15, "apps[1].name"),
            (16, "apps[1].repoURL"),
            (17, "apps[2].name"),
            (17, "apps[2].repoURL"),
            (18, "apps[3]"),
        ],
        "{errors:#?}"
    );
    for e in &errors {
        assert!(!e.fix.is_empty(), "{e}");
        assert!(
            e.to_string().starts_with(&format!("{FILE}:{}:", e.line)),
            "{e}"
        );
    }
    assert!(errors[0].fix.contains("lowercase"), "{}", errors[0].fix);
    assert!(errors[1].fix.contains("groups"), "{}", errors[1].fix);
    assert!(errors[5].fix.contains("512Mi"), "{}", errors[5].fix);
    let e = only_error("name: payments\ngroups: [a/b]\nquota:\n  memory: 40gb\n");
    assert_eq!(e.1, "quota.memory");
    let memory = parse(
        "name: payments\ngroups: [a/b]\nquota:\n  memory: 40gb\n",
        FILE,
        "payments",
    );
    let fix = &memory.unwrap_err().0[0].fix;
    assert!(fix.starts_with("write `40Gi`"), "{fix}");
    assert!(errors[7].fix.contains("512Mi"), "{}", errors[7].fix);
}

#[test]
fn the_name_must_be_the_folder_and_fit_in_every_generated_name() {
    let (line, key, message) = only_error("name: billing\ngroups: [a/b]\n");
    assert_eq!((line, key.as_str()), (1, "name"));
    assert!(message.contains("folder is `payments`"), "{message}");
    let (_, key, _) = only_error("groups: [a/b]\n");
    assert_eq!(key, "name");
    let long = "a".repeat(MAX_NAME_LEN + 1);
    let e = parse(&format!("name: {long}\ngroups: [a/b]\n"), "f", &long).unwrap_err();
    assert!(e.to_string().contains("more than 53"), "{e}");
    let team = "t".repeat(50);
    let text = format!(
        "name: {team}\ngroups: [a/b]\napps:\n  - name: {}\n    repoURL: https://github.com/a/b\n",
        "a".repeat(13)
    );
    let e = parse(&text, "f", &team).unwrap_err();
    assert_eq!(e.0[0].key, "apps[0].name");
    assert!(e.0[0].message.contains("longer than 63"), "{e}");
}

#[test]
fn a_team_needs_people_and_limits_that_fit_the_quota() {
    let (_, key, message) = only_error("name: payments\n");
    assert_eq!(key, "groups");
    assert!(message.contains("nobody"), "{message}");
    let (line, key, message) = only_error("name: payments\ngroups: [a/b]\nquota:\n  cpu: 200m\n");
    assert_eq!((line, key.as_str()), (4, "limits.cpu"));
    assert!(
        message.contains("`500m` is more than the team's quota `200m`"),
        "{message}"
    );
}

#[test]
fn values_argo_cd_would_read_differently_must_be_quoted() {
    let text = "name: payments\ngroups: [yes]\napps:\n  - name: api\n    repoURL: https://github.com/a/b\n    targetRevision: 1.0\n";
    let errors = errors(text);
    let keys: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["groups[0]", "apps[0].targetRevision"]);
    assert!(errors[1].fix.contains("\"1.0\""), "{}", errors[1].fix);
    let quoted = "name: payments\ngroups: [\"yes\"]\napps:\n  - name: api\n    repoURL: https://github.com/a/b\n    targetRevision: \"1.0\"\n";
    assert_eq!(
        parse(quoted, FILE, "payments").unwrap().apps[0].target_revision,
        "1.0"
    );
}

#[test]
fn quantities_follow_kubernetes() {
    use check::{Resource, quantity};
    for (text, cores) in [
        ("500m", 0.5),
        ("2", 2.0),
        ("0.5", 0.5),
        (".5", 0.5),
        ("1e3", 1000.0),
    ] {
        assert_eq!(quantity(text, Resource::Cpu).unwrap(), cores, "{text}");
    }
    assert_eq!(quantity("1Gi", Resource::Memory).unwrap(), 1024f64.powi(3));
    assert_eq!(quantity("1G", Resource::Memory).unwrap(), 1e9);
    for bad in [
        "",
        "-1",
        "1.2.3",
        "1Gib",
        "Gi",
        "0",
        "1e",
        "1 Gi",
        "٣",
        "1e99999999999",
    ] {
        assert!(quantity(bad, Resource::Cpu).is_err(), "{bad}");
    }
}

#[test]
fn generated_application_names_are_unique_across_teams() {
    let a = "name: a\ngroups: [x/y]\napps:\n  - name: b-c\n    repoURL: https://github.com/a/b\n";
    let ab = "name: a-b\ngroups: [x/y]\napps:\n  - name: c\n    repoURL: https://github.com/a/b\n";
    let teams = vec![
        parse_with_positions(ab, "teams/a-b/team.yaml", "a-b").unwrap(),
        parse_with_positions(a, "teams/a/team.yaml", "a").unwrap(),
    ];
    let errors = check_all(&teams);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (
            errors[0].file.as_str(),
            errors[0].line,
            errors[0].key.as_str()
        ),
        ("teams/a-b/team.yaml", 4, "apps[0].name")
    );
    assert!(
        errors[0].message.contains("`a-b-c`"),
        "{}",
        errors[0].message
    );
}

#[test]
fn the_platform_settings_are_checked() {
    assert!(platform().problems(|s| s.to_owned()).is_empty());
    let bad = Platform {
        repo_url: "git@github.com:acme/gitops.git".to_owned(),
        project_chart: "/abs".to_owned(),
        ..Platform::default()
    };
    let problems = bad.problems(|s| format!("--{}", s.replace('_', "-")));
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems[0].starts_with("--repo-url `git@"),
        "{}",
        problems[0]
    );
}

#[test]
fn hostile_input_is_an_error_not_a_panic() {
    let huge = format!(
        "name: payments\ndescription: {}\n",
        "x".repeat(MAX_FILE_BYTES)
    );
    assert!(errors(&huge)[0].message.contains("at most"));
    let many = format!("name: payments\nmembers:\n{}", "  - alice\n".repeat(30_000));
    assert!(!errors(&many).is_empty());
    let deep = format!("name: {}{}", "[".repeat(500), "]".repeat(500));
    assert!(!errors(&deep).is_empty());
    let bomb = "a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d]\n";
    assert!(!errors(bomb).is_empty());
    for text in [
        "",
        "---\n",
        "[]",
        "42",
        "name:\n",
        "\u{FEFF}name: x",
        "name: \"\\u0000\"\n",
        "? [a]\n: b\n",
    ] {
        let _ = parse(text, FILE, "payments");
    }
    let e = errors("name: \"pay\\nments\\u001b[31m\"\ngroups: [a/b]\n");
    assert!(!e[0].to_string().contains('\u{1b}'), "{}", e[0]);
    let control_folder = parse("groups: [a/b]\n", FILE, "a\nb\u{1b}").unwrap_err();
    assert!(
        !control_folder.to_string().contains('\u{1b}'),
        "{control_folder}"
    );
}

proptest! {
    #[test]
    fn any_text_is_a_team_or_errors_never_a_panic(text in "\\PC{0,300}") {
        if let Err(errors) = parse(&text, FILE, "payments") {
            prop_assert!(!errors.is_empty());
        }
    }

    #[test]
    fn yaml_shaped_text_is_a_team_or_errors_never_a_panic(
        lines in proptest::collection::vec(
            (proptest::sample::select(vec!["name", "members", "groups", "quota", "  cpu", "  memory",
                "  pods", "limits", "apps", "  - name", "    repoURL", "    path", "- ", "viewers"]),
             "[ -~]{0,20}"),
            0..20,
        )
    ) {
        let text: String = lines.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        if let Ok(team) = parse(&text, FILE, "payments") {
            let objects = team_objects(&team, &platform());
            prop_assert!(!to_yaml(&objects).is_empty());
        }
    }
}
