locals {
  name           = "idp-${var.environment_name}"
  container_name = "worker"
  cluster_name   = element(split("/", var.cluster_arn), 1)

  # Memory sizes (MiB) Fargate accepts for each CPU size.
  fargate_memory = {
    "256"   = [512, 1024, 2048]
    "512"   = range(1024, 4097, 1024)
    "1024"  = range(2048, 8193, 1024)
    "2048"  = range(4096, 16385, 1024)
    "4096"  = range(8192, 30721, 1024)
    "8192"  = range(16384, 61441, 4096)
    "16384" = range(32768, 122881, 8192)
  }
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# The worker takes no inbound traffic; it only reaches out (image pull, AWS APIs, S3).
resource "aws_security_group" "task" {
  name        = "${local.name}-worker"
  description = "Scheduled task of idp environment ${var.environment_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${local.name}-worker" })
}

resource "aws_vpc_security_group_egress_rule" "task_out" {
  security_group_id = aws_security_group.task.id
  description       = "Outbound TCP through the NAT gateway (image pulls, AWS APIs, the job's own dependencies)"
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${local.name}-worker-out" })
}

resource "aws_ecs_task_definition" "this" {
  # checkov:skip=CKV_AWS_336: scheduled jobs are arbitrary images that commonly write scratch files; a read-only root filesystem would break most of them.
  family                   = "${local.name}-scheduled-task"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = tostring(var.cpu)
  memory                   = tostring(var.memory)
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name        = local.container_name
      image       = var.container_image
      essential   = true
      environment = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
      secrets     = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "scheduled"
        }
      }
    }
  ])

  lifecycle {
    precondition {
      condition     = contains(lookup(local.fargate_memory, tostring(var.cpu), []), var.memory)
      error_message = "memory ${var.memory} is not a Fargate size for cpu ${var.cpu}: 256 takes 512/1024/2048; 512 takes 1024-4096; 1024 takes 2048-8192; 2048 takes 4096-16384; 4096 takes 8192-30720 (steps of 1024); 8192 takes 16384-61440 (steps of 4096); 16384 takes 32768-122880 (steps of 8192)."
    }
  }

  tags = merge(var.tags, { Name = "${local.name}-scheduled-task" })
}

# Read access to one bucket for the job itself (optional).
data "aws_iam_policy_document" "s3_read" {
  count = var.s3_bucket_arn == "" ? 0 : 1

  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.s3_bucket_arn]
  }

  statement {
    sid       = "ReadObjects"
    actions   = ["s3:GetObject"]
    resources = ["${var.s3_bucket_arn}/*"]
  }
}

resource "aws_iam_role_policy" "s3_read" {
  count = var.s3_bucket_arn == "" ? 0 : 1

  name   = "read-bucket"
  role   = var.task_role_name
  policy = data.aws_iam_policy_document.s3_read[0].json
}

# The role EventBridge assumes to start the task: it may run exactly this task definition
# revision on exactly this cluster, and pass exactly this task's two roles to ECS.
data "aws_iam_policy_document" "events_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "events" {
  name                 = "${local.name}-events"
  description          = "Lets EventBridge start the scheduled task of idp environment ${var.environment_name}"
  assume_role_policy   = data.aws_iam_policy_document.events_assume.json
  permissions_boundary = var.permissions_boundary_arn

  tags = merge(var.tags, { Name = "${local.name}-events" })
}

data "aws_iam_policy_document" "events" {
  statement {
    sid       = "RunThisTask"
    actions   = ["ecs:RunTask"]
    resources = [aws_ecs_task_definition.this.arn]

    condition {
      test     = "ArnEquals"
      variable = "ecs:cluster"
      values   = [var.cluster_arn]
    }
  }

  statement {
    sid       = "TagStartedTasks"
    actions   = ["ecs:TagResource"]
    resources = ["arn:${data.aws_partition.current.partition}:ecs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:task/${local.cluster_name}/*"]

    condition {
      test     = "StringEquals"
      variable = "ecs:CreateAction"
      values   = ["RunTask"]
    }
  }

  statement {
    sid       = "PassTaskRoles"
    actions   = ["iam:PassRole"]
    resources = [var.execution_role_arn, var.task_role_arn]

    condition {
      test     = "StringLike"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "events" {
  name   = "run-scheduled-task"
  role   = aws_iam_role.events.id
  policy = data.aws_iam_policy_document.events.json
}

resource "aws_cloudwatch_event_rule" "this" {
  name                = "${local.name}-schedule"
  description         = "Runs the scheduled task of idp environment ${var.environment_name}"
  schedule_expression = var.schedule_expression

  tags = merge(var.tags, { Name = "${local.name}-schedule" })
}

resource "aws_cloudwatch_event_target" "this" {
  rule      = aws_cloudwatch_event_rule.this.name
  target_id = "${local.name}-scheduled-task"
  arn       = var.cluster_arn
  role_arn  = aws_iam_role.events.arn

  ecs_target {
    task_count          = 1
    task_definition_arn = aws_ecs_task_definition.this.arn
    launch_type         = "FARGATE"
    platform_version    = "LATEST"
    propagate_tags      = "TASK_DEFINITION"

    network_configuration {
      subnets          = var.subnet_ids
      security_groups  = [aws_security_group.task.id]
      assign_public_ip = false
    }
  }

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 2
  }
}
