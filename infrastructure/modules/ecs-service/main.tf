locals {
  name           = "idp-${var.environment_name}"
  container_name = "app"
  # On the shared ingress the environment has no load balancer of its own: its target group
  # hangs off the shared HTTPS listener by host name, so HTTPS and a DNS record are given.
  shared     = var.use_shared_ingress
  https      = local.shared || var.acm_certificate_arn != ""
  custom_dns = var.route53_zone_id != "" && var.domain_name != ""

  alb_dns_name       = local.shared ? var.shared_alb_dns_name : one(aws_lb.this[*].dns_name)
  alb_zone_id        = local.shared ? var.shared_alb_zone_id : one(aws_lb.this[*].zone_id)
  alb_arn            = local.shared ? var.shared_alb_arn : one(aws_lb.this[*].arn)
  alb_security_group = local.shared ? var.shared_alb_security_group_id : one(aws_security_group.alb[*].id)
  hostname           = local.custom_dns ? "${var.environment_name}.${var.domain_name}" : local.alb_dns_name

  # The CloudWatch dimensions of the environment's traffic (`LoadBalancer`, `TargetGroup`), in
  # both modes: alarms read these.
  load_balancer_arn_suffix = local.shared ? var.shared_alb_arn_suffix : one(aws_lb.this[*].arn_suffix)
  target_group_arn_suffix  = aws_lb_target_group.this.arn_suffix

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

data "aws_region" "current" {}

# Security groups: the load balancer takes traffic from the internet and talks only to the
# tasks; the tasks take traffic only from the load balancer.

resource "aws_security_group" "alb" {
  count = local.shared ? 0 : 1

  name        = "${local.name}-alb"
  description = "Load balancer of idp environment ${var.environment_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${local.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  # checkov:skip=CKV_AWS_260: the preview endpoint is public by design; with a certificate port 80 only answers with a redirect to HTTPS.
  count = local.shared ? 0 : 1

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTP from anywhere (redirected to HTTPS when a certificate is set)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${local.name}-alb-http" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  count = local.https && !local.shared ? 1 : 0

  security_group_id = aws_security_group.alb[0].id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${local.name}-alb-https" })
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  count = local.shared ? 0 : 1

  security_group_id            = aws_security_group.alb[0].id
  description                  = "To the tasks on the container port"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.task.id

  tags = merge(var.tags, { Name = "${local.name}-alb-to-tasks" })
}

resource "aws_security_group" "task" {
  name        = "${local.name}-task"
  description = "Tasks of idp environment ${var.environment_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${local.name}-task" })
}

resource "aws_vpc_security_group_ingress_rule" "task_from_alb" {
  # checkov:skip=CKV_AWS_260: false positive: the source is the load balancer's security group, not 0.0.0.0/0.
  security_group_id            = aws_security_group.task.id
  description                  = "From the load balancer on the container port"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = local.alb_security_group

  tags = merge(var.tags, { Name = "${local.name}-task-from-alb" })
}

resource "aws_vpc_security_group_egress_rule" "task_out" {
  security_group_id = aws_security_group.task.id
  description       = "Outbound TCP through the NAT gateway (image pulls, AWS APIs, the app's own dependencies)"
  ip_protocol       = "tcp"
  from_port         = 0
  to_port           = 65535
  cidr_ipv4         = "0.0.0.0/0"

  tags = merge(var.tags, { Name = "${local.name}-task-out" })
}

# Load balancer.

resource "aws_lb" "this" {
  # checkov:skip=CKV2_AWS_28: preview load balancers are short-lived and serve test traffic; a WAF web ACL per environment costs more than the environment.
  # checkov:skip=CKV_AWS_150: previews are destroyed automatically when their TTL runs out; deletion protection would block that.
  # checkov:skip=CKV2_AWS_20: HTTP redirects to HTTPS whenever a certificate is given (listener http_redirect); without one there is no HTTPS to redirect to.
  # checkov:skip=CKV_AWS_91: access logs are on whenever alb_access_logs_bucket is set (the shared alb-logs bucket); an account without that bucket cannot log.
  count = local.shared ? 0 : 1

  name                       = var.alb_name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb[0].id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_deletion_protection = false

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]

    content {
      bucket  = access_logs.value
      prefix  = "environments/${var.environment_name}"
      enabled = true
    }
  }

  tags = merge(var.tags, { Name = var.alb_name })
}

resource "aws_lb_target_group" "this" {
  # checkov:skip=CKV_AWS_378: TLS ends at the load balancer; the hop to the task stays inside the VPC's private subnets, and arbitrary preview images do not serve TLS.
  name                 = var.target_group_name
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    enabled             = true
    path                = var.health_check_path
    port                = "traffic-port"
    protocol            = "HTTP"
    matcher             = "200-399"
    healthy_threshold   = 3
    unhealthy_threshold = 3
    timeout             = 5
    interval            = 30
  }

  tags = merge(var.tags, { Name = var.target_group_name })
}

resource "aws_lb_listener" "https" {
  count = local.https && !local.shared ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.acm_certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = merge(var.tags, { Name = "${local.name}-https" })
}

resource "aws_lb_listener" "http_redirect" {
  count = local.https && !local.shared ? 1 : 0

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }

  tags = merge(var.tags, { Name = "${local.name}-http-redirect" })
}

resource "aws_lb_listener" "http_forward" {
  # checkov:skip=CKV_AWS_2: exists only when no certificate is given (environments without a preview domain); with a certificate HTTP redirects to HTTPS instead.
  # checkov:skip=CKV_AWS_103: plain HTTP listener, there is no TLS policy to set; it exists only when no certificate is given.
  count = local.https ? 0 : 1

  load_balancer_arn = aws_lb.this[0].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = merge(var.tags, { Name = "${local.name}-http" })
}

# On the shared ingress: the environment's host name, forwarded to its target group, at the
# priority idp allocated to it (unique on the listener, kept across redeploys).

resource "aws_lb_listener_rule" "shared" {
  count = local.shared ? 1 : 0

  listener_arn = var.shared_listener_arn
  priority     = var.listener_rule_priority

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  condition {
    host_header {
      values = ["${var.environment_name}.${var.domain_name}"]
    }
  }

  tags = merge(var.tags, { Name = "${local.name}-rule" })

  lifecycle {
    precondition {
      condition     = var.shared_listener_arn != "" && local.custom_dns
      error_message = "use_shared_ingress needs the shared listener (shared/preview-ingress's state) and a DNS record: set route53_zone_id and domain_name."
    }
    precondition {
      condition     = var.listener_rule_priority >= 1 && var.listener_rule_priority <= 50000
      error_message = "use_shared_ingress needs a listener_rule_priority from 1 to 50000 (idp allocates one per environment)."
    }
  }
}

# Task definition and service.

resource "aws_ecs_task_definition" "this" {
  # checkov:skip=CKV_AWS_336: preview images are arbitrary applications (the default nginx writes to /var/cache); a read-only root filesystem would break most of them.
  family                   = "${local.name}-task"
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
      name         = local.container_name
      image        = var.container_image
      essential    = true
      portMappings = [{ containerPort = var.container_port, protocol = "tcp" }]
      environment  = [for k in sort(keys(var.environment)) : { name = k, value = var.environment[k] }]
      secrets      = [for k in sort(keys(var.secrets)) : { name = k, valueFrom = var.secrets[k] }]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = var.log_group_name
          awslogs-region        = data.aws_region.current.name
          awslogs-stream-prefix = "ecs"
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

  tags = merge(var.tags, { Name = "${local.name}-task" })
}

resource "aws_ecs_service" "this" {
  name                              = "${local.name}-service"
  cluster                           = var.cluster_id
  task_definition                   = aws_ecs_task_definition.this.arn
  desired_count                     = var.desired_count
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true
  enable_execute_command            = var.enable_execute_command

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  tags = merge(var.tags, { Name = "${local.name}-service" })

  depends_on = [aws_lb_listener.https, aws_lb_listener.http_redirect, aws_lb_listener.http_forward, aws_lb_listener_rule.shared]
}

resource "aws_route53_record" "this" {
  count = local.custom_dns ? 1 : 0

  zone_id = var.route53_zone_id
  name    = "${var.environment_name}.${var.domain_name}"
  type    = "A"
  # The name is the environment's own. Records carry no tags, so a run killed before it saved
  # its state leaves one that idp cannot find by tag: the next apply takes it over instead of
  # failing on it.
  allow_overwrite = true

  alias {
    name                   = local.alb_dns_name
    zone_id                = local.alb_zone_id
    evaluate_target_health = false
  }
}

# The load balancer and its security group became optional (absent on the shared ingress):
# environments made before keep theirs instead of having them replaced.

moved {
  from = aws_security_group.alb
  to   = aws_security_group.alb[0]
}

moved {
  from = aws_vpc_security_group_ingress_rule.alb_http
  to   = aws_vpc_security_group_ingress_rule.alb_http[0]
}

moved {
  from = aws_vpc_security_group_egress_rule.alb_to_tasks
  to   = aws_vpc_security_group_egress_rule.alb_to_tasks[0]
}

moved {
  from = aws_lb.this
  to   = aws_lb.this[0]
}
