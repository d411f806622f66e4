use super::*;

const FILE: &str = "platform.yml";

const EXAMPLE: &str = "\
teams:
  payments: [alice, bob-smith]
  search: [dana]
admins: [platform-lead]
budgets:
  - team: payments
    monthly_usd: 200
    alert_at: [50, 80, 100]
    notify: [finops@example.com]
  - owner: carol
    monthly_usd: 25.5
";

fn errors(text: &str) -> String {
    Policy::from_yaml(text, FILE)
        .expect_err("the policy should be refused")
        .to_string()
}

#[test]
fn the_example_reads_into_teams_admins_and_budgets() {
    let policy = Policy::from_yaml(EXAMPLE, FILE).unwrap();
    assert_eq!(policy.teams["payments"], vec!["alice", "bob-smith"]);
    assert_eq!(policy.admins, vec!["platform-lead"]);
    assert_eq!(policy.budgets.len(), 2);
    assert_eq!(policy.budgets[0].scope, Scope::Team("payments".into()));
    assert_eq!(policy.budgets[0].alert_at, vec![50, 80, 100]);
    assert_eq!(policy.budgets[1].scope, Scope::Owner("carol".into()));
    assert!((policy.budgets[1].monthly_usd - 25.5).abs() < 1e-9);
    // No `alert_at`: 50, 80 and 100 %.
    assert_eq!(policy.budgets[1].alert_at, DEFAULT_ALERT_AT.to_vec());
    assert_eq!(policy.notify_emails(), vec!["finops@example.com"]);
}

#[test]
fn the_committed_example_file_is_valid() {
    let text = include_str!("../../../../examples/platform.yml");
    let policy = Policy::from_yaml(text, "examples/platform.yml").unwrap();
    assert!(!policy.budgets.is_empty());
}

#[test]
fn budgets_cover_the_owners_team_and_the_owner_without_case() {
    let policy = Policy::from_yaml(EXAMPLE, FILE).unwrap();
    assert_eq!(policy.team_of("Alice"), Some("payments"));
    assert_eq!(policy.budgets_for("BOB-SMITH").len(), 1);
    assert_eq!(
        policy.budgets_for("carol")[0].scope,
        Scope::Owner("carol".into())
    );
    assert!(
        policy.budgets_for("dana").is_empty(),
        "search has no budget"
    );
    assert!(policy.budgets_for("eve").is_empty());
    assert_eq!(
        policy.members(&policy.budgets[0]),
        vec!["alice", "bob-smith"]
    );
    assert!(policy.is_admin("Platform-Lead"));
    assert!(!policy.is_admin("alice"));
    assert_eq!(policy.budgets[0].scope.budget_name(), "idp-team-payments");
    assert_eq!(policy.budgets[1].scope.budget_name(), "idp-owner-carol");
}

#[test]
fn check_refuses_only_past_the_limit() {
    let policy = Policy::from_yaml(EXAMPLE, FILE).unwrap();
    // 150 spent + 50 estimate = 200: exactly the limit still fits.
    assert_eq!(check(&policy, "alice", 50.0, |_| 150.0), None);
    let over = check(&policy, "alice", 50.01, |_| 150.0).expect("over");
    assert_eq!(over.scope, Scope::Team("payments".into()));
    assert_eq!(
        (over.spent_usd, over.estimate_usd, over.limit_usd),
        (150.0, 50.01, 200.0)
    );
    // No budget covers dana.
    assert_eq!(check(&policy, "dana", 1e6, |_| 1e6), None);
}

#[test]
fn an_unknown_key_names_its_line_and_the_key_it_was_meant_to_be() {
    let text = "teams:\n  payments: [alice]\nbudgets:\n  - team: payments\n    monthly_usd: 200\n    alert: [50]\nadmin: [lead]\n";
    insta::assert_snapshot!(errors(text), @r"
    platform.yml:6:5: key `budgets[0].alert`: unknown key `alert`
      hint: did you mean `alert_at`?
    platform.yml:7:1: key `admin`: unknown key `admin`
      hint: did you mean `admins`?
    ");
}

#[test]
fn a_budget_of_a_team_that_is_not_listed_suggests_the_listed_one() {
    let text = "teams:\n  payments: [alice]\nbudgets:\n  - team: payment\n    monthly_usd: 200\n";
    insta::assert_snapshot!(errors(text), @r"
    platform.yml:4:5: key `budgets[0].team`: team `payment` is not listed under `teams:`
      hint: did you mean `payments`?
    ");
}

#[test]
fn every_bad_value_is_reported_at_once_in_file_order() {
    let text = "\
teams:
  Payments: [alice]
  search: [alice, 'bob smith']
admins: platform-lead
budgets:
  - team: search
    owner: carol
    monthly_usd: 10
  - owner: dana
    monthly_usd: \"200\"
    alert_at: [50, 50, 120.5]
    notify: [not-an-email]
  - owner: erin
  - owner: dana
    monthly_usd: -3
";
    insta::assert_snapshot!("bad_values", errors(text));
}

#[test]
fn yaml_syntax_and_non_text_are_one_error_each() {
    let e = errors("budgets:\n  - team: [payments\n");
    assert!(e.starts_with("platform.yml:"), "{e}");
    assert!(e.contains("invalid YAML"), "{e}");
    let e = Policy::from_bytes(b"teams:\n  a: [\xff]\n", FILE)
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("platform.yml:2:"), "{e}");
}

#[test]
fn an_empty_file_is_an_empty_policy() {
    assert_eq!(
        Policy::from_yaml("# nothing yet\n", FILE).unwrap(),
        Policy::default()
    );
}

#[test]
fn the_refusal_comment_gives_the_figures_and_the_way_out() {
    let overrun = Overrun {
        scope: Scope::Team("payments".into()),
        spent_usd: 190.0,
        estimate_usd: 23.4,
        limit_usd: 200.0,
    };
    let env = crate::domain::naming::EnvName::parse("preview-pay").unwrap();
    let body = comment::refusal_comment(
        &env,
        "feature/pay",
        &overrun,
        &["Ask an admin to raise `monthly_usd`.".to_owned()],
    );
    insta::assert_snapshot!(body, @r"
    <!-- idp:preview:preview-pay -->
    ### 💸 Preview environment not created: over budget

    The team `payments` would go over its monthly budget, so no environment was provisioned for this push.

    | | |
    |---|---|
    | Environment | `preview-pay` |
    | Branch | feature/pay |
    | Spent this month | $190.00 |
    | This environment (estimate) | $23.40 |
    | Monthly budget | $200.00 |

    > Ask an admin to raise `monthly_usd`.
    ");
}
