locals {
  template = "lambda-api"

  # The seed's tags, on every resource through the provider's default_tags.
  tags = {
    "idp:managed"     = "true"
    "idp:environment" = var.environment_name
    "idp:template"    = local.template
    "idp:owner"       = var.owner
    "idp:created-at"  = var.created_at
    "idp:ttl"         = var.ttl
    "idp:expires-at"  = var.expires_at
    "cost-center"     = var.cost_center
  }

  name          = "idp-${var.environment_name}"
  function_name = "${local.name}-api"

  # The package: an image, a zip in S3, or a local zip (the template's own by default).
  from_image = var.image_uri != ""
  from_s3    = !local.from_image && startswith(var.lambda_zip, "s3://")
  s3_parts   = local.from_s3 ? split("/", trimprefix(var.lambda_zip, "s3://")) : []
  local_zip  = var.lambda_zip != "" ? var.lambda_zip : "${path.module}/default-handler.zip"

  # The custom domain needs all three: the certificate, the zone and the domain.
  host_name     = "${var.environment_name}.${var.preview_domain}"
  custom_domain = var.acm_certificate_arn != "" && var.route53_zone_id != "" && var.preview_domain != ""

  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]

  permissions_boundary_arn = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn
}

data "aws_caller_identity" "current" {}

# --- Logs: the function's group (Lambda's fixed name) and the API's access log.

resource "aws_cloudwatch_log_group" "function" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts at rest with its own key; a customer-managed KMS key per short-lived environment would outlive it (7-day minimum deletion wait) and cost more than the logs.
  # checkov:skip=CKV_AWS_338: retention follows the environment's TTL (days, not a year); previews are not a system of record.
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days

  tags = { Name = "/aws/lambda/${local.function_name}" }
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts at rest with its own key; a customer-managed KMS key per short-lived environment would outlive it (7-day minimum deletion wait) and cost more than the logs.
  # checkov:skip=CKV_AWS_338: retention follows the environment's TTL (days, not a year); previews are not a system of record.
  name              = "/aws/apigateway/${local.name}-api"
  retention_in_days = var.log_retention_days

  tags = { Name = "/aws/apigateway/${local.name}-api" }
}

# --- The function's execution role: it may write its own logs, nothing else.

data "aws_iam_policy_document" "assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "function" {
  name                 = "${local.name}-lambda"
  description          = "Execution role of the function of idp environment ${var.environment_name}"
  assume_role_policy   = data.aws_iam_policy_document.assume.json
  permissions_boundary = local.permissions_boundary_arn

  tags = { Name = "${local.name}-lambda" }
}

data "aws_iam_policy_document" "logs" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }
}

resource "aws_iam_role_policy" "logs" {
  name   = "write-own-logs"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.logs.json
}

# --- The function.

resource "aws_lambda_function" "api" {
  # checkov:skip=CKV_AWS_50: X-Ray tracing needs xray:Put* on the role, which is limited to its own logs; the access log and the alarms watch a preview.
  # checkov:skip=CKV_AWS_115: a reserved concurrency per preview takes from the account's shared pool (1,000 by default, 10 in new accounts) and can fail the apply; API Gateway's stage throttling bounds the load instead.
  # checkov:skip=CKV_AWS_116: API Gateway invokes synchronously and gets the error back; a dead-letter queue only receives failed asynchronous invocations.
  # checkov:skip=CKV_AWS_117: the function reaches no private resource; a VPC would need a NAT gateway ($0.045/h) for the same public egress.
  # checkov:skip=CKV_AWS_173: environment variables are encrypted at rest with Lambda's AWS managed key; secrets do not belong in them.
  # checkov:skip=CKV_AWS_272: code signing needs a signing profile and a signed package; a preview runs the build of its own branch.
  function_name = local.function_name
  description   = "HTTP API of idp environment ${var.environment_name}"
  role          = aws_iam_role.function.arn
  memory_size   = 256
  timeout       = 10
  architectures = ["x86_64"]

  package_type     = local.from_image ? "Image" : "Zip"
  image_uri        = local.from_image ? var.image_uri : null
  s3_bucket        = local.from_s3 ? local.s3_parts[0] : null
  s3_key           = local.from_s3 ? join("/", slice(local.s3_parts, 1, length(local.s3_parts))) : null
  filename         = local.from_image || local.from_s3 ? null : local.local_zip
  source_code_hash = local.from_image || local.from_s3 ? null : filebase64sha256(local.local_zip)
  runtime          = local.from_image ? null : "python3.12"
  handler          = local.from_image ? null : "handler.handler"

  environment {
    variables = merge(var.environment_variables, { IDP_ENVIRONMENT = var.environment_name })
  }

  logging_config {
    log_format = "Text"
    log_group  = aws_cloudwatch_log_group.function.name
  }

  tags = { Name = local.function_name }

  depends_on = [aws_iam_role_policy.logs]
}

# --- The HTTP API: every route to the function, one auto-deployed stage.

resource "aws_apigatewayv2_api" "api" {
  name          = "${local.name}-api"
  description   = "idp environment ${var.environment_name}"
  protocol_type = "HTTP"

  # With a custom domain the execute-api URL is turned off, so there is one way in.
  disable_execute_api_endpoint = local.custom_domain

  tags = { Name = "${local.name}-api" }
}

resource "aws_apigatewayv2_integration" "function" {
  api_id                 = aws_apigatewayv2_api.api.id
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.api.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 12000
}

resource "aws_apigatewayv2_route" "default" {
  # checkov:skip=CKV_AWS_309: a preview's API is as public as api-service's load balancer; the application authenticates its own users.
  api_id    = aws_apigatewayv2_api.api.id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.function.id}"
}

resource "aws_apigatewayv2_stage" "default" {
  api_id      = aws_apigatewayv2_api.api.id
  name        = "$default"
  auto_deploy = true

  default_route_settings {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.access.arn
    format = jsonencode({
      requestId      = "$context.requestId"
      ip             = "$context.identity.sourceIp"
      requestTime    = "$context.requestTime"
      httpMethod     = "$context.httpMethod"
      routeKey       = "$context.routeKey"
      status         = "$context.status"
      protocol       = "$context.protocol"
      responseLength = "$context.responseLength"
      integrationErr = "$context.integrationErrorMessage"
    })
  }

  tags = { Name = "${local.name}-api" }
}

resource "aws_lambda_permission" "api" {
  statement_id  = "AllowInvokeFromOwnApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.api.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.api.execution_arn}/*"
}

# --- The custom domain `{environment_name}.{preview_domain}`, when the platform has one.

resource "aws_apigatewayv2_domain_name" "api" {
  count = local.custom_domain ? 1 : 0

  domain_name = local.host_name

  domain_name_configuration {
    certificate_arn = var.acm_certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }

  tags = { Name = local.host_name }
}

resource "aws_apigatewayv2_api_mapping" "api" {
  count = local.custom_domain ? 1 : 0

  api_id      = aws_apigatewayv2_api.api.id
  domain_name = aws_apigatewayv2_domain_name.api[0].id
  stage       = aws_apigatewayv2_stage.default.id
}

resource "aws_route53_record" "api" {
  count = local.custom_domain ? 1 : 0

  zone_id = var.route53_zone_id
  name    = local.host_name
  type    = "A"

  alias {
    name                   = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].target_domain_name
    zone_id                = aws_apigatewayv2_domain_name.api[0].domain_name_configuration[0].hosted_zone_id
    evaluate_target_health = false
  }
}

# --- Alarms: the function's errors and the API's 5xx answers.

resource "aws_cloudwatch_metric_alarm" "function_errors" {
  alarm_name          = "${local.function_name}-errors"
  alarm_description   = "The function of idp environment ${var.environment_name} failed more than 5 times in 5 minutes."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    FunctionName = aws_lambda_function.api.function_name
  }
}

resource "aws_cloudwatch_metric_alarm" "api_5xx" {
  alarm_name          = "${local.name}-api-5xx"
  alarm_description   = "The HTTP API of idp environment ${var.environment_name} answered 5xx more than 5 times in 5 minutes."
  namespace           = "AWS/ApiGateway"
  metric_name         = "5xx"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    ApiId = aws_apigatewayv2_api.api.id
    Stage = aws_apigatewayv2_stage.default.name
  }
}
