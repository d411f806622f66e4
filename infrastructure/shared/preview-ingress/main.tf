# One internet-facing Application Load Balancer on the shared preview VPC for every
# environment provisioned with use_shared_ingress = true: HTTPS with the preview domain's
# wildcard certificate, HTTP redirected to HTTPS, and a 404 for any host no environment has
# claimed. An environment adds only its target group and a host-header rule
# (`{environment_name}.{preview_domain}`) on the HTTPS listener, at the priority idp allocated to
# it; templates read this stack's outputs from shared/preview-ingress/terraform.tfstate.

data "terraform_remote_state" "networking" {
  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "shared/preview-networking/terraform.tfstate"
    region = var.aws_region
  }
}

data "terraform_remote_state" "dns" {
  count = var.acm_certificate_arn == "" ? 1 : 0

  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "shared/preview-dns/terraform.tfstate"
    region = var.aws_region
  }
}

locals {
  name            = "${var.name_prefix}-alb"
  vpc_id          = data.terraform_remote_state.networking.outputs.vpc_id
  vpc_cidr        = data.terraform_remote_state.networking.outputs.vpc_cidr
  certificate_arn = var.acm_certificate_arn == "" ? one(data.terraform_remote_state.dns[*].outputs.certificate_arn) : var.acm_certificate_arn
}

# The load balancer takes HTTP and HTTPS from the internet and talks only to the VPC (the
# environments' tasks, whose own security groups take traffic from this one only).

resource "aws_security_group" "alb" {
  name        = local.name
  description = "Shared preview load balancer of idp"
  vpc_id      = local.vpc_id

  tags = { Name = local.name }
}

resource "aws_vpc_security_group_ingress_rule" "http" {
  # checkov:skip=CKV_AWS_260: the preview endpoints are public by design; port 80 only answers with a redirect to HTTPS.
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere (redirected to HTTPS)"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"

  tags = { Name = "${local.name}-http" }
}

resource "aws_vpc_security_group_ingress_rule" "https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"

  tags = { Name = "${local.name}-https" }
}

resource "aws_vpc_security_group_egress_rule" "to_tasks" {
  security_group_id = aws_security_group.alb.id
  description       = "To the environments' tasks in the shared VPC (each on its own container port)"
  ip_protocol       = "tcp"
  from_port         = 1
  to_port           = 65535
  cidr_ipv4         = local.vpc_cidr

  tags = { Name = "${local.name}-to-tasks" }
}

resource "aws_lb" "this" {
  # checkov:skip=CKV2_AWS_28: preview environments serve test traffic; a WAF web ACL is the platform's choice, attached outside this stack when wanted.
  # checkov:skip=CKV_AWS_91: access logs are on whenever access_logs_bucket is set (the shared alb-logs bucket); an account without that bucket cannot log.
  name                       = local.name
  internal                   = false
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = data.terraform_remote_state.networking.outputs.public_subnet_ids
  drop_invalid_header_fields = true
  desync_mitigation_mode     = "defensive"
  enable_deletion_protection = var.deletion_protection

  dynamic "access_logs" {
    for_each = var.access_logs_bucket == "" ? [] : [var.access_logs_bucket]

    content {
      bucket  = access_logs.value
      prefix  = "environments/${var.name_prefix}-ingress"
      enabled = true
    }
  }

  tags = { Name = local.name }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = local.certificate_arn

  # A host no environment has claimed (yet, or any more).
  default_action {
    type = "fixed-response"

    fixed_response {
      content_type = "text/plain"
      message_body = "No preview environment answers on this host name."
      status_code  = "404"
    }
  }

  tags = { Name = "${local.name}-https" }

  lifecycle {
    precondition {
      condition     = local.certificate_arn != null && local.certificate_arn != ""
      error_message = "No certificate for the HTTPS listener: set acm_certificate_arn, or apply shared/preview-dns first (its state gives certificate_arn)."
    }
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.this.arn
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

  tags = { Name = "${local.name}-http-redirect" }
}
