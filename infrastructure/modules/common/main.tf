locals {
  name = "idp-${var.environment_name}"
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

resource "aws_ecs_cluster" "this" {
  name = "${local.name}-cluster"

  setting {
    name  = "containerInsights"
    value = var.container_insights
  }

  tags = merge(var.tags, { Name = "${local.name}-cluster" })
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts at rest with its own key; a customer-managed KMS key per short-lived environment would outlive it (7-day minimum deletion wait) and cost more than the logs.
  # checkov:skip=CKV_AWS_338: retention follows the environment's TTL (days, not a year); previews are not a system of record.
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days

  tags = merge(var.tags, { Name = "/ecs/${local.name}" })
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

# Execution role: used by the ECS agent to pull the image, write the container's logs and
# resolve `secrets` (valueFrom). It may read exactly the secrets passed in `secret_arns`.
resource "aws_iam_role" "execution" {
  name                 = "${local.name}-ecs-task-execution"
  description          = "ECS task execution role of idp environment ${var.environment_name}"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = merge(var.tags, { Name = "${local.name}-ecs-task-execution" })
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuthorization"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # GetAuthorizationToken has no resource-level permissions.
  }

  statement {
    sid = "EcrPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:repository/*"]
  }

  # Images pulled through the shared Docker Hub cache (shared/ecr-preview): the first pull of an
  # image creates its cache repository and imports it.
  statement {
    sid = "DockerHubPullThroughCache"
    actions = [
      "ecr:BatchImportUpstreamImage",
      "ecr:CreateRepository",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:ecr:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:repository/docker-hub/*"]
  }

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }

  # A secret's real ARN ends in `-` and 6 random characters. ECS also accepts the partial ARN
  # (without them), which IAM only matches through the `-??????` pattern; a full ARN matches
  # itself. Both forms name only the secrets passed in.
  dynamic "statement" {
    for_each = length(var.secret_arns) > 0 ? [1] : []

    content {
      sid       = "ReadInjectedSecrets"
      actions   = ["secretsmanager:GetSecretValue"]
      resources = flatten([for arn in var.secret_arns : [arn, "${arn}-??????"]])
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-and-read-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# Task role: the identity of the application itself. It starts with no permissions; templates
# attach exactly what their workload needs (e.g. read access to one bucket).
resource "aws_iam_role" "task" {
  name                 = "${local.name}-ecs-task"
  description          = "Application role of idp environment ${var.environment_name}"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = merge(var.tags, { Name = "${local.name}-ecs-task" })
}

# ECS Exec: the SSM agent in the task opens its control and data channels as the task role.
data "aws_iam_policy_document" "exec" {
  count = var.enable_execute_command ? 1 : 0

  statement {
    sid = "EcsExecChannels"
    actions = [
      "ssmmessages:CreateControlChannel",
      "ssmmessages:CreateDataChannel",
      "ssmmessages:OpenControlChannel",
      "ssmmessages:OpenDataChannel",
    ]
    resources = ["*"] # The ssmmessages actions have no resource-level permissions.
  }
}

resource "aws_iam_role_policy" "exec" {
  count = var.enable_execute_command ? 1 : 0

  name   = "ecs-exec-channels"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.exec[0].json
}
