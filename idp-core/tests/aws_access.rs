//! Long because it holds the evaluator, the rendering and the table of what every resource type
//! of the templates needs, next to the checks that use them.
//!
//! The platform's own AWS access (`infrastructure/shared/github-oidc`), checked on the policies
//! as they render: the HCL of the stack is evaluated with hcl-rs (its locals, variables and
//! `for` expressions, with the few Terraform functions it calls implemented here), giving the
//! JSON policy documents Terraform would send to IAM.
//!
//! moto does not implement IAM's policy simulation (`SimulatePrincipalPolicy`,
//! `SimulateCustomPolicy`), so what the documents allow is decided here by a policy evaluator
//! that follows IAM's rules for the parts these documents use: `Action`/`NotAction` and
//! `Resource` wildcards, `StringEquals`/`StringLike`/`ArnLike`/`ForAllValues:StringLike`
//! conditions, an explicit `Deny` winning, and a permissions boundary intersecting the role's
//! own policy.
#![allow(
    clippy::disallowed_methods,
    reason = "this suite reads the infrastructure/ tree from disk"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Block, Body, Value};

const ACCOUNT: &str = "123456789012";
const STATE_BUCKET: &str = "acme-idp-state";
const LOCK_TABLE: &str = "idp-locks";

fn infrastructure() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure")
}

fn stack() -> PathBuf {
    infrastructure().join("shared/github-oidc")
}

fn parse_dir(dir: &Path) -> Vec<Block> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            let text = fs::read_to_string(f).expect("read");
            let body: Body = hcl::parse(&text)
                .unwrap_or_else(|e| panic!("`{}` does not parse: {e}", f.display()));
            body.into_blocks().collect::<Vec<_>>()
        })
        .collect()
}

fn labels(block: &Block) -> Vec<String> {
    block
        .labels()
        .iter()
        .map(|l| l.as_str().to_owned())
        .collect()
}

// === The few Terraform functions the stack calls ===

fn concat(args: FuncArgs) -> Result<Value, String> {
    let mut out = Vec::new();
    for list in args.iter() {
        out.extend(list.as_array().ok_or("concat takes lists")?.iter().cloned());
    }
    Ok(Value::Array(out))
}

fn flatten(args: FuncArgs) -> Result<Value, String> {
    fn walk(value: &Value, out: &mut Vec<Value>) {
        match value {
            Value::Array(items) => items.iter().for_each(|i| walk(i, out)),
            other => out.push(other.clone()),
        }
    }
    let mut out = Vec::new();
    walk(&args[0], &mut out);
    Ok(Value::Array(out))
}

fn replace(args: FuncArgs) -> Result<Value, String> {
    let s = |i: usize| args[i].as_str().unwrap_or_default().to_owned();
    Ok(Value::String(s(0).replace(&s(1), &s(2))))
}

fn trimprefix(args: FuncArgs) -> Result<Value, String> {
    let text = args[0].as_str().unwrap_or_default();
    let prefix = args[1].as_str().unwrap_or_default();
    Ok(Value::String(
        text.strip_prefix(prefix).unwrap_or(text).to_owned(),
    ))
}

fn lookup(args: FuncArgs) -> Result<Value, String> {
    let key = args[1].as_str().unwrap_or_default();
    Ok(args[0]
        .as_object()
        .and_then(|o| o.get(key).cloned())
        .unwrap_or_else(|| args[2].clone()))
}

/// The stack's variables for a platform of `repositories` (the other inputs fixed).
fn variables(repositories: &[&str], extra: Value) -> Value {
    let repos: Vec<Value> = repositories.iter().map(|r| Value::from(*r)).collect();
    let mut vars = hcl::value!({
        name_prefix = "idp"
        oidc_issuer_url = "https://token.actions.githubusercontent.com"
        deploy_branches = ["main"]
        deploy_environments = ["preview"]
        read_only_pull_requests = true
        state_bucket = STATE_BUCKET
        lock_table = LOCK_TABLE
        preview_domain = "preview.example.com"
    });
    if let Value::Object(map) = &mut vars {
        map.insert("repositories".into(), Value::Array(repos));
        map.insert("extra_secret_arn_patterns".into(), extra);
    }
    vars
}

/// The stack with its variables and locals evaluated (what `data.*` gives is fixed: partition
/// `aws`, account [`ACCOUNT`]).
struct Rendered {
    blocks: Vec<Block>,
    ctx: Context<'static>,
}

impl Rendered {
    fn new(repositories: &[&str], extra: Value) -> Self {
        let blocks = parse_dir(&stack());
        let mut ctx = Context::new();
        ctx.declare_func(
            "concat",
            FuncDef::builder()
                .variadic_param(ParamType::Any)
                .build(concat),
        );
        ctx.declare_func("flatten", FuncDef::new(flatten, [ParamType::Any]));
        ctx.declare_func(
            "replace",
            FuncDef::new(
                replace,
                [ParamType::String, ParamType::String, ParamType::String],
            ),
        );
        ctx.declare_func(
            "trimprefix",
            FuncDef::new(trimprefix, [ParamType::String, ParamType::String]),
        );
        ctx.declare_func(
            "lookup",
            FuncDef::new(lookup, [ParamType::Any, ParamType::String, ParamType::Any]),
        );
        ctx.declare_var("var", variables(repositories, extra));
        // Locals that need a data source or a resource never evaluate; a document that uses
        // one fails loudly below.
        let mut locals: hcl::Map<String, Value> = hcl::Map::new();
        locals.insert("partition".into(), "aws".into());
        locals.insert("account".into(), ACCOUNT.into());
        let attributes: Vec<hcl::Attribute> = blocks
            .iter()
            .filter(|b| b.identifier() == "locals")
            .flat_map(|b| b.body().attributes().cloned().collect::<Vec<_>>())
            .collect();
        loop {
            ctx.declare_var("local", Value::Object(locals.clone()));
            let before = locals.len();
            for attr in &attributes {
                if locals.contains_key(attr.key()) {
                    continue;
                }
                if let Ok(value) = attr.expr().evaluate(&ctx) {
                    locals.insert(attr.key().to_owned(), value);
                }
            }
            if locals.len() == before {
                break;
            }
        }
        ctx.declare_var("local", Value::Object(locals));
        Self { blocks, ctx }
    }

    fn local(&self, name: &str) -> Value {
        let expr: hcl::Expression = hcl::from_str::<hcl::Body>(&format!("x = local.{name}"))
            .ok()
            .and_then(|b| b.attributes().next().map(|a| a.expr().clone()))
            .expect("expression");
        expr.evaluate(&self.ctx)
            .unwrap_or_else(|e| panic!("local.{name}: {e}"))
    }

    /// The `aws_iam_policy_document` data source `name`, rendered (`each_key` for a
    /// `for_each` one).
    fn document(&self, name: &str, each_key: Option<&str>) -> Policy {
        let block = self
            .blocks
            .iter()
            .find(|b| b.identifier() == "data" && labels(b) == ["aws_iam_policy_document", name])
            .unwrap_or_else(|| panic!("no policy document `{name}`"));
        let mut ctx = self.ctx.clone();
        if let Some(key) = each_key {
            ctx.declare_var("each", hcl::value!({ key = (key) value = (key) }));
        }
        let body = block
            .body()
            .evaluate(&ctx)
            .unwrap_or_else(|e| panic!("document `{name}` does not render: {e}"));
        Policy::from_body(name, &body)
    }

    fn deploy_documents(&self) -> Vec<Policy> {
        [
            "deploy_network",
            "deploy_compute",
            "deploy_edge",
            "deploy_iam_state",
        ]
        .iter()
        .map(|n| self.document(n, None))
        .collect()
    }
}

// === Policy documents and their evaluation ===

#[derive(Debug, Clone)]
struct Condition {
    test: String,
    variable: String,
    values: Vec<String>,
}

#[derive(Debug, Clone)]
struct Statement {
    sid: String,
    deny: bool,
    actions: Vec<String>,
    not_actions: Vec<String>,
    resources: Vec<String>,
    conditions: Vec<Condition>,
}

#[derive(Debug, Clone)]
struct Policy {
    name: String,
    statements: Vec<Statement>,
}

fn strings(body: &Body, key: &str) -> Vec<String> {
    body.attributes()
        .find(|a| a.key() == key)
        .map(|a| match Value::from(a.expr().clone()) {
            Value::Array(items) => items
                .into_iter()
                .map(|v| v.as_str().expect("a string").to_owned())
                .collect(),
            Value::String(s) => vec![s],
            other => panic!("`{key}` is {other:?}"),
        })
        .unwrap_or_default()
}

fn string(body: &Body, key: &str) -> Option<String> {
    strings(body, key).into_iter().next()
}

impl Policy {
    fn from_body(name: &str, body: &Body) -> Self {
        let statements = body
            .blocks()
            .filter(|b| b.identifier() == "statement")
            .map(|b| {
                let s = b.body();
                Statement {
                    sid: string(s, "sid").unwrap_or_default(),
                    deny: string(s, "effect").as_deref() == Some("Deny"),
                    actions: strings(s, "actions"),
                    not_actions: strings(s, "not_actions"),
                    resources: strings(s, "resources"),
                    conditions: s
                        .blocks()
                        .filter(|c| c.identifier() == "condition")
                        .map(|c| Condition {
                            test: string(c.body(), "test").expect("test"),
                            variable: string(c.body(), "variable").expect("variable"),
                            values: strings(c.body(), "values"),
                        })
                        .collect(),
                }
            })
            .collect();
        Self {
            name: name.to_owned(),
            statements,
        }
    }

    /// The policy as IAM receives it (JSON without whitespace), for its size.
    fn json(&self) -> String {
        let statements: Vec<serde_json::Value> = self
            .statements
            .iter()
            .map(|s| {
                let mut m = serde_json::Map::new();
                m.insert("Sid".into(), s.sid.clone().into());
                m.insert(
                    "Effect".into(),
                    if s.deny { "Deny" } else { "Allow" }.into(),
                );
                if !s.actions.is_empty() {
                    m.insert("Action".into(), s.actions.clone().into());
                }
                if !s.not_actions.is_empty() {
                    m.insert("NotAction".into(), s.not_actions.clone().into());
                }
                m.insert("Resource".into(), s.resources.clone().into());
                let mut cond = serde_json::Map::new();
                for c in &s.conditions {
                    cond.insert(
                        c.test.clone(),
                        serde_json::json!({ c.variable.clone(): c.values }),
                    );
                }
                if !cond.is_empty() {
                    m.insert("Condition".into(), cond.into());
                }
                serde_json::Value::Object(m)
            })
            .collect();
        serde_json::json!({"Version": "2012-10-17", "Statement": statements}).to_string()
    }
}

/// IAM's wildcard match: `*` any run, `?` one character.
fn glob(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let (p, t) = if case_insensitive {
        (pattern.to_ascii_lowercase(), text.to_ascii_lowercase())
    } else {
        (pattern.to_owned(), text.to_owned())
    };
    idp_core::domain::secret_access::arn_matches(&p, &t)
}

/// One request: an action on a resource with its condition keys.
struct Request<'a> {
    action: &'a str,
    resource: &'a str,
    context: BTreeMap<&'a str, Vec<&'a str>>,
}

impl<'a> Request<'a> {
    fn new(action: &'a str, resource: &'a str) -> Self {
        Self {
            action,
            resource,
            context: BTreeMap::new(),
        }
    }

    fn with(mut self, key: &'a str, values: &[&'a str]) -> Self {
        self.context.insert(key, values.to_vec());
        self
    }
}

impl Statement {
    fn matches(&self, req: &Request) -> bool {
        let action = if self.not_actions.is_empty() {
            self.actions.iter().any(|a| glob(a, req.action, true))
        } else {
            !self.not_actions.iter().any(|a| glob(a, req.action, true))
        };
        action
            && self.resources.iter().any(|r| glob(r, req.resource, false))
            && self.conditions.iter().all(|c| condition_holds(c, req))
    }
}

fn condition_holds(c: &Condition, req: &Request) -> bool {
    let given = req.context.get(c.variable.as_str());
    let any_value = |matcher: &dyn Fn(&str, &str) -> bool| {
        given.is_some_and(|vs| vs.iter().any(|v| c.values.iter().any(|p| matcher(p, v))))
    };
    match c.test.as_str() {
        "StringEquals" => any_value(&|p, v| p == v),
        "StringLike" | "ArnLike" => any_value(&|p, v| glob(p, v, false)),
        // Without the key, ForAllValues holds (as in IAM).
        "ForAllValues:StringLike" => given.is_none_or(|vs| {
            vs.iter()
                .all(|v| c.values.iter().any(|p| glob(p, v, false)))
        }),
        other => panic!("the evaluator does not know condition `{other}`"),
    }
}

/// Whether `policies` (one identity's) allow `req`: some statement allows it, none denies it.
fn allows(policies: &[Policy], req: &Request) -> bool {
    let statements = || policies.iter().flat_map(|p| &p.statements);
    !statements().any(|s| s.deny && s.matches(req))
        && statements().any(|s| !s.deny && s.matches(req))
}

// === What the templates create ===

/// What each resource type of the templates needs of the deploy role to be created: the IAM
/// actions of its create call (the others of its lifecycle are in the same statements). A type
/// missing here fails [`the_deploy_role_may_create_every_resource_type_of_every_template`]: a
/// new template cannot lack a permission unnoticed.
const NEEDS: &[(&str, &[&str])] = &[
    // Network
    (
        "aws_vpc",
        &["ec2:CreateVpc", "ec2:ModifyVpcAttribute", "ec2:DeleteVpc"],
    ),
    ("aws_subnet", &["ec2:CreateSubnet", "ec2:DeleteSubnet"]),
    (
        "aws_internet_gateway",
        &[
            "ec2:CreateInternetGateway",
            "ec2:AttachInternetGateway",
            "ec2:DeleteInternetGateway",
        ],
    ),
    ("aws_eip", &["ec2:AllocateAddress", "ec2:ReleaseAddress"]),
    (
        "aws_nat_gateway",
        &["ec2:CreateNatGateway", "ec2:DeleteNatGateway"],
    ),
    (
        "aws_route_table",
        &[
            "ec2:CreateRouteTable",
            "ec2:CreateRoute",
            "ec2:DeleteRouteTable",
        ],
    ),
    (
        "aws_route_table_association",
        &["ec2:AssociateRouteTable", "ec2:DisassociateRouteTable"],
    ),
    (
        "aws_security_group",
        &["ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup"],
    ),
    (
        "aws_default_security_group",
        &[
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupEgress",
        ],
    ),
    (
        "aws_vpc_security_group_ingress_rule",
        &[
            "ec2:AuthorizeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
        ],
    ),
    (
        "aws_vpc_security_group_egress_rule",
        &[
            "ec2:AuthorizeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupEgress",
        ],
    ),
    (
        "aws_flow_log",
        &["ec2:CreateFlowLogs", "ec2:DeleteFlowLogs"],
    ),
    // Containers, load balancers, logs, schedules, alarms
    (
        "aws_ecs_cluster",
        &["ecs:CreateCluster", "ecs:DeleteCluster"],
    ),
    (
        "aws_ecs_service",
        &[
            "ecs:CreateService",
            "ecs:UpdateService",
            "ecs:DeleteService",
        ],
    ),
    (
        "aws_ecs_task_definition",
        &["ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition"],
    ),
    (
        "aws_lb",
        &[
            "elasticloadbalancing:CreateLoadBalancer",
            "elasticloadbalancing:DeleteLoadBalancer",
        ],
    ),
    (
        "aws_lb_listener",
        &[
            "elasticloadbalancing:CreateListener",
            "elasticloadbalancing:DeleteListener",
        ],
    ),
    (
        "aws_lb_listener_rule",
        &[
            "elasticloadbalancing:CreateRule",
            "elasticloadbalancing:DeleteRule",
        ],
    ),
    (
        "aws_lb_target_group",
        &[
            "elasticloadbalancing:CreateTargetGroup",
            "elasticloadbalancing:DeleteTargetGroup",
        ],
    ),
    (
        "aws_lb_target_group_attachment",
        &[
            "elasticloadbalancing:RegisterTargets",
            "elasticloadbalancing:DeregisterTargets",
        ],
    ),
    (
        "aws_cloudwatch_log_group",
        &[
            "logs:CreateLogGroup",
            "logs:PutRetentionPolicy",
            "logs:DeleteLogGroup",
        ],
    ),
    (
        "aws_cloudwatch_event_rule",
        &["events:PutRule", "events:DeleteRule"],
    ),
    (
        "aws_cloudwatch_event_target",
        &["events:PutTargets", "events:RemoveTargets"],
    ),
    (
        "aws_cloudwatch_metric_alarm",
        &[
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:DescribeAlarms",
            "cloudwatch:ListTagsForResource",
        ],
    ),
    // IAM
    (
        "aws_iam_role",
        &["iam:CreateRole", "iam:DeleteRole", "iam:PassRole"],
    ),
    (
        "aws_iam_role_policy",
        &["iam:PutRolePolicy", "iam:DeleteRolePolicy"],
    ),
    (
        "aws_iam_role_policy_attachment",
        &["iam:AttachRolePolicy", "iam:DetachRolePolicy"],
    ),
    // Databases
    (
        "aws_db_instance",
        &[
            "rds:CreateDBInstance",
            "rds:DeleteDBInstance",
            "secretsmanager:CreateSecret",
        ],
    ),
    (
        "aws_db_subnet_group",
        &["rds:CreateDBSubnetGroup", "rds:DeleteDBSubnetGroup"],
    ),
    (
        "aws_db_parameter_group",
        &["rds:CreateDBParameterGroup", "rds:DeleteDBParameterGroup"],
    ),
    // DNS, certificates
    (
        "aws_route53_record",
        &["route53:ChangeResourceRecordSets", "route53:GetChange"],
    ),
    (
        "aws_acm_certificate",
        &["acm:RequestCertificate", "acm:DeleteCertificate"],
    ),
    (
        "aws_acm_certificate_validation",
        &["acm:DescribeCertificate"],
    ),
    // Static sites
    ("aws_s3_bucket", &["s3:CreateBucket", "s3:DeleteBucket"]),
    (
        "aws_s3_bucket_policy",
        &["s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
    ),
    (
        "aws_s3_bucket_public_access_block",
        &["s3:PutBucketPublicAccessBlock"],
    ),
    (
        "aws_s3_bucket_ownership_controls",
        &["s3:PutBucketOwnershipControls"],
    ),
    ("aws_s3_bucket_versioning", &["s3:PutBucketVersioning"]),
    (
        "aws_s3_bucket_server_side_encryption_configuration",
        &["s3:PutEncryptionConfiguration"],
    ),
    (
        "aws_s3_bucket_lifecycle_configuration",
        &["s3:PutLifecycleConfiguration"],
    ),
    (
        "aws_s3_bucket_website_configuration",
        &["s3:PutBucketWebsite"],
    ),
    ("aws_s3_bucket_cors_configuration", &["s3:PutBucketCORS"]),
    ("aws_s3_object", &["s3:PutObject", "s3:DeleteObject"]),
    (
        "aws_cloudfront_distribution",
        &[
            "cloudfront:CreateDistribution",
            "cloudfront:UpdateDistribution",
            "cloudfront:DeleteDistribution",
        ],
    ),
    (
        "aws_cloudfront_origin_access_control",
        &[
            "cloudfront:CreateOriginAccessControl",
            "cloudfront:DeleteOriginAccessControl",
        ],
    ),
    (
        "aws_cloudfront_cache_policy",
        &[
            "cloudfront:CreateCachePolicy",
            "cloudfront:DeleteCachePolicy",
        ],
    ),
    (
        "aws_cloudfront_response_headers_policy",
        &["cloudfront:CreateResponseHeadersPolicy"],
    ),
    (
        "aws_cloudfront_function",
        &["cloudfront:CreateFunction", "cloudfront:DeleteFunction"],
    ),
    // Functions and HTTP APIs
    (
        "aws_lambda_function",
        &[
            "lambda:CreateFunction",
            "lambda:UpdateFunctionCode",
            "lambda:DeleteFunction",
        ],
    ),
    (
        "aws_lambda_permission",
        &["lambda:AddPermission", "lambda:RemovePermission"],
    ),
    (
        "aws_lambda_alias",
        &["lambda:CreateAlias", "lambda:DeleteAlias"],
    ),
    (
        "aws_lambda_function_url",
        &[
            "lambda:CreateFunctionUrlConfig",
            "lambda:DeleteFunctionUrlConfig",
        ],
    ),
    (
        "aws_apigatewayv2_api",
        &["apigateway:POST", "apigateway:DELETE"],
    ),
    (
        "aws_apigatewayv2_stage",
        &["apigateway:POST", "apigateway:DELETE"],
    ),
    (
        "aws_apigatewayv2_integration",
        &["apigateway:POST", "apigateway:DELETE"],
    ),
    (
        "aws_apigatewayv2_route",
        &["apigateway:POST", "apigateway:DELETE"],
    ),
    (
        "aws_apigatewayv2_domain_name",
        &["apigateway:POST", "apigateway:PATCH", "apigateway:DELETE"],
    ),
    (
        "aws_apigatewayv2_api_mapping",
        &["apigateway:POST", "apigateway:DELETE"],
    ),
];

/// The resource types of every template under `infrastructure/templates/` and of the local
/// modules they use, with the directory each is declared in.
fn template_resource_types() -> BTreeMap<String, BTreeSet<String>> {
    let mut types: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut pending: Vec<PathBuf> = fs::read_dir(infrastructure().join("templates"))
        .expect("templates")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(dir) = pending.pop() {
        let dir = dir.canonicalize().unwrap_or(dir);
        if !seen.insert(dir.clone()) {
            continue;
        }
        for block in parse_dir(&dir) {
            match block.identifier() {
                "resource" => {
                    let kind = labels(&block)[0].clone();
                    types
                        .entry(kind)
                        .or_default()
                        .insert(dir.display().to_string());
                }
                "module" => {
                    let source = block
                        .body()
                        .attributes()
                        .find(|a| a.key() == "source")
                        .and_then(|a| Value::from(a.expr().clone()).as_str().map(str::to_owned));
                    if let Some(source) = source.filter(|s| s.starts_with('.')) {
                        pending.push(dir.join(source));
                    }
                }
                _ => {}
            }
        }
    }
    types
}

/// Read actions: they change nothing, so `*` is a fine resource for them.
fn is_read(action: &str) -> bool {
    let (service, name) = action.split_once(':').expect("service:action");
    if service == "apigateway" {
        return name == "GET";
    }
    [
        "Describe",
        "Get",
        "List",
        "BatchGet",
        "BatchCheck",
        "Filter",
    ]
    .iter()
    .any(|p| name.starts_with(p))
}

/// Mutating actions AWS gives no resource-level permission, so their resource must be `*`; each
/// is held to tagged requests where the action supports it.
const NO_RESOURCE_LEVEL: &[(&str, Option<&str>)] = &[
    (
        "ecs:RegisterTaskDefinition",
        Some("aws:RequestTag/idp:managed"),
    ),
    // Takes neither a resource nor a condition key.
    ("ecs:DeregisterTaskDefinition", None),
    ("acm:RequestCertificate", Some("aws:RequestTag/idp:managed")),
];

/// Resource kinds that carry no tags and no `idp-` name, which a mutating statement may name
/// with a wildcard: what an environment uses but cannot tag.
const UNTAGGABLE: &[&str] = &[
    ":origin-access-control/*",
    ":cache-policy/*",
    ":response-headers-policy/*",
    ":function/*",
    ":og:default*",
    ":secret:rds!db-*",
];

fn scoped_by_condition(statement: &Statement) -> bool {
    statement.conditions.iter().any(|c| {
        [
            "aws:ResourceTag/idp:managed",
            "aws:RequestTag/idp:managed",
            "ec2:CreateAction",
            "iam:PermissionsBoundary",
            "iam:PassedToService",
            "iam:AWSServiceName",
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
        ]
        .contains(&c.variable.as_str())
    })
}

fn scoped_by_name(resource: &str) -> bool {
    resource.contains(":idp-")
        || resource.contains("/idp-")
        || resource.contains(":::idp-")
        || resource.contains(STATE_BUCKET)
        || resource.ends_with(&format!("table/{LOCK_TABLE}"))
        || UNTAGGABLE.iter().any(|u| resource.ends_with(u))
}

// === The checks ===

#[test]
fn no_mutating_deploy_action_has_a_star_resource_and_every_one_is_scoped() {
    let rendered = Rendered::new(&["acme/shop"], hcl::value!({}));
    let mut problems = Vec::new();
    for policy in rendered.deploy_documents() {
        for s in policy.statements.iter().filter(|s| !s.deny) {
            assert!(
                s.not_actions.is_empty(),
                "{}: NotAction in the deploy role",
                s.sid
            );
            for action in s.actions.iter().filter(|a| !is_read(a)) {
                let star = s.resources.iter().any(|r| r == "*");
                if star {
                    match NO_RESOURCE_LEVEL.iter().find(|(a, _)| a == action) {
                        Some((_, Some(key)))
                            if !s.conditions.iter().any(|c| c.variable == *key) =>
                        {
                            problems.push(format!(
                                "{}/{}: `{action}` on `*` without `{key}`",
                                policy.name, s.sid
                            ));
                        }
                        Some(_) => {}
                        None => problems.push(format!(
                            "{}/{}: mutating `{action}` has resource `*`",
                            policy.name, s.sid
                        )),
                    }
                } else if !scoped_by_condition(s)
                    && let Some(open) = s.resources.iter().find(|r| !scoped_by_name(r))
                {
                    problems.push(format!(
                        "{}/{}: `{action}` reaches `{open}`, which is neither an idp name nor held to idp's tags",
                        policy.name, s.sid
                    ));
                }
            }
        }
        let size = policy.json().len();
        assert!(
            size <= 6144,
            "{}: {size} characters, IAM keeps at most 6,144 in a managed policy",
            policy.name
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_deploy_role_may_create_every_resource_type_of_every_template() {
    let rendered = Rendered::new(&["acme/shop"], hcl::value!({}));
    let policies = rendered.deploy_documents();
    let table: BTreeMap<&str, &[&str]> = NEEDS.iter().copied().collect();
    let types = template_resource_types();
    assert!(
        types.contains_key("aws_ecs_service") && types.contains_key("aws_db_instance"),
        "{types:?}"
    );
    let mut problems = Vec::new();
    for (kind, dirs) in &types {
        let Some(actions) = table.get(kind.as_str()) else {
            problems.push(format!(
                "`{kind}` (in {dirs:?}) is not in the NEEDS table of idp-core/tests/aws_access.rs: add the IAM actions it needs, and grant them in infrastructure/shared/github-oidc/deploy.tf"
            ));
            continue;
        };
        for action in *actions {
            let granted = policies
                .iter()
                .flat_map(|p| &p.statements)
                .any(|s| !s.deny && s.actions.iter().any(|a| glob(a, action, true)));
            if !granted {
                problems.push(format!(
                    "`{kind}` needs `{action}`, which no deploy statement grants"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_deploy_role_manages_only_idp_alarms_and_both_roles_read_them() {
    let rendered = Rendered::new(&["acme/shop"], hcl::value!({}));
    let deploy = rendered.deploy_documents();
    let read_only = [rendered.document("read_only", None)];
    // The regional alarms of api-service and lambda-api, and static-site's in us-east-1.
    for (region, name) in [
        ("eu-west-1", "idp-preview-pr-7-5xx-rate"),
        ("eu-west-1", "idp-preview-pr-7-unhealthy-targets"),
        ("eu-west-1", "idp-preview-fn-api-errors"),
        ("us-east-1", "idp-preview-site-site-5xx-rate"),
    ] {
        let alarm = format!("arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{name}");
        for action in [
            "cloudwatch:PutMetricAlarm",
            "cloudwatch:DeleteAlarms",
            "cloudwatch:TagResource",
            "cloudwatch:DescribeAlarms",
        ] {
            assert!(
                allows(&deploy, &Request::new(action, &alarm)),
                "{action} on {alarm}"
            );
        }
        assert!(
            allows(
                &read_only,
                &Request::new("cloudwatch:DescribeAlarms", &alarm)
            ),
            "`idp status` with the read-only role reads {alarm}"
        );
        assert!(
            !allows(
                &read_only,
                &Request::new("cloudwatch:PutMetricAlarm", &alarm)
            ),
            "the read-only role changes no alarm"
        );
    }
    let other = format!("arn:aws:cloudwatch:eu-west-1:{ACCOUNT}:alarm:billing-5xx");
    for action in ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms"] {
        assert!(
            !allows(&deploy, &Request::new(action, &other)),
            "{action} on {other}"
        );
    }
}

#[test]
fn the_deploy_role_creates_roles_only_with_a_boundary_and_never_removes_one() {
    let rendered = Rendered::new(&["acme/shop"], hcl::value!({}));
    let deploy = rendered.deploy_documents();
    let role = format!("arn:aws:iam::{ACCOUNT}:role/idp-preview-x-ecs-task");
    let boundary = format!("arn:aws:iam::{ACCOUNT}:policy/idp-boundary-acme+shop");
    let with_boundary =
        Request::new("iam:CreateRole", &role).with("iam:PermissionsBoundary", &[&boundary]);
    assert!(allows(&deploy, &with_boundary));
    assert!(
        !allows(&deploy, &Request::new("iam:CreateRole", &role)),
        "a role without a boundary"
    );
    let admin = format!("arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess");
    assert!(!allows(
        &deploy,
        &Request::new("iam:CreateRole", &role).with("iam:PermissionsBoundary", &[&admin])
    ));
    let other = format!("arn:aws:iam::{ACCOUNT}:role/platform-admin");
    assert!(!allows(
        &deploy,
        &Request::new("iam:CreateRole", &other).with("iam:PermissionsBoundary", &[&boundary])
    ));
    assert!(!allows(
        &deploy,
        &Request::new("iam:DeleteRolePermissionsBoundary", &role)
    ));
    assert!(!allows(&deploy, &Request::new("iam:PutRolePolicy", &other)));
    // Passing a role: only idp's, only to the services the templates use.
    assert!(allows(
        &deploy,
        &Request::new("iam:PassRole", &role)
            .with("iam:PassedToService", &["ecs-tasks.amazonaws.com"])
    ));
    assert!(!allows(
        &deploy,
        &Request::new("iam:PassRole", &role).with("iam:PassedToService", &["ec2.amazonaws.com"])
    ));
    // Tags decide for EC2; names for ECS; the preview domain for DNS.
    let vpc = format!("arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/vpc-1");
    assert!(allows(
        &deploy,
        &Request::new("ec2:DeleteVpc", &vpc).with("aws:ResourceTag/idp:managed", &["true"])
    ));
    assert!(!allows(&deploy, &Request::new("ec2:DeleteVpc", &vpc)));
    assert!(
        !allows(&deploy, &Request::new("ec2:CreateVpc", &vpc)),
        "an untagged VPC"
    );
    let cluster = format!("arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/production");
    assert!(!allows(
        &deploy,
        &Request::new("ecs:DeleteCluster", &cluster)
    ));
    let zone = "arn:aws:route53:::hostedzone/Z1";
    assert!(allows(
        &deploy,
        &Request::new("route53:ChangeResourceRecordSets", zone).with(
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            &["pr-1.preview.example.com"]
        )
    ));
    assert!(!allows(
        &deploy,
        &Request::new("route53:ChangeResourceRecordSets", zone).with(
            "route53:ChangeResourceRecordSetsNormalizedRecordNames",
            &["www.example.com"]
        )
    ));
    // The state bucket, not another.
    assert!(allows(
        &deploy,
        &Request::new(
            "s3:PutObject",
            &format!("arn:aws:s3:::{STATE_BUCKET}/environments/x/metadata.json")
        )
    ));
    assert!(!allows(
        &deploy,
        &Request::new("s3:PutObject", "arn:aws:s3:::payroll/x")
    ));
}

#[test]
fn the_trust_policies_admit_only_the_listed_repositories_subjects() {
    let rendered = Rendered::new(&["acme/shop"], hcl::value!({}));
    let subjects = rendered.local("deploy_subjects");
    assert_eq!(
        subjects,
        hcl::value!([
            "repo:acme/shop:ref:refs/heads/main",
            "repo:acme/shop:environment:preview"
        ])
    );
    let read_only = rendered.local("read_only_subjects");
    assert!(
        read_only
            .as_array()
            .expect("list")
            .contains(&Value::from("repo:acme/shop:pull_request"))
    );
    for name in ["assume_deploy", "assume_read_only"] {
        let block = rendered
            .blocks
            .iter()
            .find(|b| b.identifier() == "data" && labels(b) == ["aws_iam_policy_document", name])
            .expect("trust document");
        // The provider's ARN comes from a resource; everything else renders.
        let mut ctx = rendered.ctx.clone();
        let mut known: hcl::Map<String, Value> = hcl::Map::new();
        for key in ["issuer", "deploy_subjects", "read_only_subjects"] {
            known.insert(key.into(), rendered.local(key));
        }
        known.insert(
            "provider_arn".into(),
            format!("arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com")
                .into(),
        );
        ctx.declare_var("local", Value::Object(known));
        let body = block.body().evaluate(&ctx).expect("renders");
        let policy = Policy::from_body(name, &body);
        let statement = &policy.statements[0];
        assert_eq!(statement.actions, ["sts:AssumeRoleWithWebIdentity"]);
        for c in &statement.conditions {
            assert_eq!(c.test, "StringEquals", "{name}: {c:?}");
            assert!(
                c.values
                    .iter()
                    .all(|v| !v.contains('*') && !v.contains('?')),
                "{name}: {c:?}"
            );
        }
        let vars: BTreeSet<&str> = statement
            .conditions
            .iter()
            .map(|c| c.variable.as_str())
            .collect();
        assert_eq!(
            vars,
            BTreeSet::from([
                "token.actions.githubusercontent.com:aud",
                "token.actions.githubusercontent.com:sub"
            ]),
            "{name}"
        );
        let assume = |sub: &str| {
            let req = Request::new("sts:AssumeRoleWithWebIdentity", "*")
                .with(
                    "token.actions.githubusercontent.com:aud",
                    &["sts.amazonaws.com"],
                )
                .with("token.actions.githubusercontent.com:sub", &[sub]);
            // The trust statement names no resource: the role is the resource.
            let mut open = policy.clone();
            open.statements[0].resources = vec!["*".to_owned()];
            allows(&[open], &req)
        };
        assert!(assume("repo:acme/shop:environment:preview"), "{name}");
        assert!(!assume("repo:acme/shop-fork:environment:preview"), "{name}");
        assert!(!assume("repo:evil/shop:ref:refs/heads/main"), "{name}");
        assert_eq!(
            assume("repo:acme/shop:pull_request"),
            name == "assume_read_only"
        );
        assert!(!assume("repo:acme/shop:ref:refs/heads/feature/x"), "{name}");
    }
}

#[test]
fn the_boundary_denies_another_repositorys_secrets_even_when_the_role_allows_them() {
    let extra = hcl::value!({
        "acme/shop" = ["arn:aws:secretsmanager:*:123456789012:secret:shared/stripe-*"]
    });
    let rendered = Rendered::new(&["acme/shop", "acme/other"], extra);
    let names = rendered.local("boundary_names");
    assert_eq!(
        names,
        hcl::value!({ "acme/shop" = "idp-boundary-acme+shop" "acme/other" = "idp-boundary-acme+other" })
    );
    let boundary = rendered.document("boundary", Some("acme/shop"));
    // The worst role a template could write: every secret, every IAM action.
    let greedy = Policy {
        name: "greedy".to_owned(),
        statements: vec![Statement {
            sid: "Everything".to_owned(),
            deny: false,
            actions: vec!["*".to_owned()],
            not_actions: Vec::new(),
            resources: vec!["*".to_owned()],
            conditions: Vec::new(),
        }],
    };
    let effective = |req: &Request| {
        allows(std::slice::from_ref(&greedy), req) && allows(std::slice::from_ref(&boundary), req)
    };
    let secret = |name: &str| format!("arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}");
    let read = "secretsmanager:GetSecretValue";
    assert!(effective(&Request::new(
        read,
        &secret("idp/acme/shop/db-AbCdEf")
    )));
    assert!(
        effective(&Request::new(read, &secret("shared/stripe-AbCdEf"))),
        "an extra pattern"
    );
    for foreign in [
        "idp/acme/other/db-AbCdEf",
        "idp/acme/shop-admin/db-AbCdEf",
        "prod/db-AbCdEf",
        "idp/acme/db-AbCdEf",
    ] {
        assert!(
            !effective(&Request::new(read, &secret(foreign))),
            "{foreign}"
        );
    }
    assert!(!effective(&Request::new(
        "secretsmanager:PutSecretValue",
        &secret("idp/acme/shop/db-AbCdEf")
    )));
    // The other repository's boundary lets its own through and not this one's.
    let other = rendered.document("boundary", Some("acme/other"));
    assert!(allows(
        std::slice::from_ref(&other),
        &Request::new(read, &secret("idp/acme/other/db-AbCdEf"))
    ));
    assert!(!allows(
        std::slice::from_ref(&other),
        &Request::new(read, &secret("idp/acme/shop/db-AbCdEf"))
    ));
    assert!(!allows(
        std::slice::from_ref(&other),
        &Request::new(read, &secret("shared/stripe-AbCdEf"))
    ));
    // Database credentials RDS keeps: only an idp instance's.
    let rds = secret("rds!db-1234-AbCdEf");
    let tag = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn";
    let idp_db = format!("arn:aws:rds:us-east-1:{ACCOUNT}:db:idp-preview-x-postgres");
    let prod_db = format!("arn:aws:rds:us-east-1:{ACCOUNT}:db:payroll");
    assert!(effective(&Request::new(read, &rds).with(tag, &[&idp_db])));
    assert!(!effective(&Request::new(read, &rds).with(tag, &[&prod_db])));
    assert!(!effective(&Request::new(read, &rds)));
    // No IAM change; ECS tasks may still get the environment's roles; the rest passes.
    let role = format!("arn:aws:iam::{ACCOUNT}:role/idp-preview-x-ecs-task");
    assert!(!effective(&Request::new("iam:CreateRole", &role)));
    assert!(!effective(&Request::new("iam:PutRolePolicy", &role)));
    assert!(effective(
        &Request::new("iam:PassRole", &role)
            .with("iam:PassedToService", &["ecs-tasks.amazonaws.com"])
    ));
    assert!(effective(&Request::new(
        "logs:PutLogEvents",
        "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/idp-x:*"
    )));
}

#[test]
fn every_role_of_every_template_carries_the_permissions_boundary() {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for group in ["templates", "modules"] {
        dirs.extend(
            fs::read_dir(infrastructure().join(group))
                .expect("list")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir()),
        );
    }
    let mut roles = 0;
    for dir in dirs {
        for block in parse_dir(&dir) {
            if block.identifier() != "resource" || labels(&block)[0] != "aws_iam_role" {
                continue;
            }
            roles += 1;
            let boundary = block
                .body()
                .attributes()
                .find(|a| a.key() == "permissions_boundary")
                .map(|a| a.expr().to_string());
            assert!(
                boundary
                    .as_deref()
                    .is_some_and(|b| b.ends_with("permissions_boundary_arn")),
                "{}: role `{}` has no `permissions_boundary = var.permissions_boundary_arn` (the deploy role creates no role without one)",
                dir.display(),
                labels(&block)[1]
            );
        }
    }
    assert!(roles >= 4, "found {roles} roles");
}
