# One permissions boundary per repository. The deploy role may create a role only with one of
# these boundaries attached (see `deploy-iam-state`), so every execution, task, events and flow
# log role an environment creates is capped by it: whatever its own policy says, it can read
# only its repository's secrets, and it can change no IAM entity.

data "aws_iam_policy_document" "boundary" {
  # checkov:skip=CKV_AWS_356: a permissions boundary is a ceiling, not a grant: it allows every service but Secrets Manager and IAM, and the role's own policy (written by the template) decides what the role may do within it.
  # checkov:skip=CKV_AWS_107: a ceiling as above; the only secrets it lets through are the repository's own (ReadOwnRepositorySecrets), and IAM is excluded.
  # checkov:skip=CKV_AWS_108: a ceiling as above; what a role may read is its own policy's, bounded here.
  # checkov:skip=CKV_AWS_111: a ceiling as above; writes are constrained by the role's own policy.
  # checkov:skip=CKV_AWS_109: a ceiling as above; resource policies the role may change are its own policy's to grant.
  # checkov:skip=CKV_AWS_110: a ceiling as above; IAM is excluded but for passing idp's own environment roles to ECS tasks.
  for_each = local.boundary_names

  statement {
    sid         = "EverythingButSecretsAndIam"
    not_actions = ["secretsmanager:*", "iam:*"]
    resources   = ["*"]
  }

  statement {
    sid       = "PassOwnEnvironmentRoles"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/idp-*"]

    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid     = "ReadOwnRepositorySecrets"
    actions = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = concat(
      ["arn:${local.partition}:secretsmanager:*:${local.account}:secret:idp/${each.key}/*"],
      lookup(var.extra_secret_arn_patterns, each.key, []),
    )
  }

  # The master credentials RDS keeps for an idp database (`rds!db-…`, tagged by RDS with its
  # instance): api-database's execution role reads them.
  statement {
    sid       = "ReadIdpDatabaseCredentials"
    actions   = ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"]
    resources = ["arn:${local.partition}:secretsmanager:*:${local.account}:secret:rds!db-*"]

    condition {
      test     = "StringLike"
      variable = "secretsmanager:ResourceTag/aws:rds:primaryDBInstanceArn"
      values   = ["arn:${local.partition}:rds:*:${local.account}:db:idp-*"]
    }
  }
}
