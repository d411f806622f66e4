variable "environment_name" {
  type        = string
  description = "Name of the environment (2-40 characters); every resource is named `idp-{environment_name}-*`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "owner" {
  type        = string
  description = "Who the environment belongs to (an email address); tagged as `idp:owner`."

  validation {
    condition     = length(var.owner) <= 256 && can(regex("^[\\p{L}\\p{N} _.:/=+@-]+$", var.owner))
    error_message = "owner must be 1-256 characters valid in an AWS tag value: letters, digits, spaces and _ . : / = + - @."
  }
}

variable "ttl" {
  type        = string
  description = "Total lifetime of the environment, e.g. `7d`, `48h`, `90m` or `2w`; tagged as `idp:ttl`."

  validation {
    condition     = can(regex("^[1-9][0-9]*[mhdw]$", var.ttl))
    error_message = "ttl must be a positive number of minutes, hours, days or weeks, e.g. 90m, 48h, 7d or 2w."
  }
}

variable "created_at" {
  type        = string
  description = "When the environment was created (RFC 3339 UTC, e.g. `2026-02-18T22:03:39Z`); tagged as `idp:created-at`."

  validation {
    condition     = can(formatdate("YYYY", var.created_at)) && endswith(var.created_at, "Z")
    error_message = "created_at must be an RFC 3339 timestamp in UTC, e.g. 2026-02-18T22:03:39Z."
  }
}

variable "expires_at" {
  type        = string
  description = "When the environment expires (RFC 3339 UTC); tagged as `idp:expires-at`."

  validation {
    condition     = can(formatdate("YYYY", var.expires_at)) && endswith(var.expires_at, "Z")
    error_message = "expires_at must be an RFC 3339 timestamp in UTC, e.g. 2026-02-25T22:03:39Z."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region the environment runs in."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region code, e.g. us-east-1 or eu-west-3."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the environment's CloudWatch log groups in days; match it to the TTL."
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Plain environment variables of the function (`IDP_ENVIRONMENT` is always set to environment_name)."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables names must be letters, digits and '_', not starting with a digit."
  }
}

variable "cost_center" {
  type        = string
  description = "Cost attribution; tagged as `cost-center`."
  default     = "engineering"

  validation {
    condition     = length(var.cost_center) <= 256 && can(regex("^[\\p{L}\\p{N} _.:/=+@-]+$", var.cost_center))
    error_message = "cost_center must be 1-256 characters valid in an AWS tag value: letters, digits, spaces and _ . : / = + - @."
  }
}

variable "image_uri" {
  type        = string
  description = "Container image of the function (an ECR image URI, built for Lambda); empty: the function runs the zip of lambda_zip."
  default     = ""

  validation {
    condition     = var.image_uri == "" || can(regex("^[0-9]{12}\\.dkr\\.ecr\\.[a-z0-9-]+\\.amazonaws\\.com(\\.cn)?/[a-z0-9._/-]+(:[A-Za-z0-9._-]{1,128}|@sha256:[a-f0-9]{64})$", var.image_uri))
    error_message = "image_uri must be empty or an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG or @sha256:DIGEST): Lambda runs images from ECR only."
  }
}

variable "lambda_zip" {
  type        = string
  description = "Deployment package of the function when image_uri is empty: a local path to a zip, or `s3://BUCKET/KEY` (in aws_region). Empty: the template's own `default-handler.zip` (Python, answers with the environment's name). A zip runs on Python 3.12 with the handler `handler.handler`."
  default     = ""

  validation {
    condition     = var.lambda_zip == "" || can(regex("^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$", var.lambda_zip)) || (endswith(var.lambda_zip, ".zip") && !startswith(var.lambda_zip, "s3:"))
    error_message = "lambda_zip must be empty, a path ending in .zip, or s3://BUCKET/KEY."
  }
}

variable "acm_certificate_arn" {
  type        = string
  description = "ACM certificate (in aws_region) covering `{environment_name}.{preview_domain}`; with route53_zone_id and preview_domain the API gets that custom domain."
  default     = ""

  validation {
    condition     = var.acm_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of preview_domain; with acm_certificate_arn and preview_domain the API answers on `{environment_name}.{preview_domain}`."
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || can(regex("^[A-Z0-9]{1,32}$", var.route53_zone_id))
    error_message = "route53_zone_id must be empty or a hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "preview_domain" {
  type        = string
  description = "Domain the environment's host name is made under, e.g. `preview.example.com`."
  default     = ""

  validation {
    condition     = var.preview_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.preview_domain))
    error_message = "preview_domain must be empty or a lowercase domain name such as preview.example.com."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the environment's CloudWatch alarms notify (alarm and OK); empty: the alarms only change state."
  default     = ""

  validation {
    condition     = var.alarm_topic_arn == "" || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be empty or an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role of the environment (idp's `aws.permissionsBoundary`, shared/github-oidc's boundary of the environment's repository); empty: none."
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be empty or an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }
}
