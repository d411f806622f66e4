variable "aws_region" {
  type        = string
  description = "AWS region of the stack (the region of the shared VPC and of the certificate)."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region code, e.g. us-east-1 or eu-west-3."
  }
}

variable "owner" {
  type        = string
  description = "Team that owns the shared stack; tagged as `idp:owner`."
  default     = "platform"

  validation {
    condition     = length(var.owner) <= 256 && can(regex("^[\\p{L}\\p{N} _.:/=+@-]+$", var.owner))
    error_message = "owner must be 1-256 characters valid in an AWS tag value: letters, digits, spaces and _ . : / = + - @."
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

variable "name_prefix" {
  type        = string
  description = "Prefix of the stack's names: the load balancer `{name_prefix}-alb` and its security group `{name_prefix}-alb`. Two copies of the stack in one account and region need two prefixes."
  default     = "idp-shared-preview"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,26}[a-z0-9]$", var.name_prefix)) && !strcontains(var.name_prefix, "--") && !startswith(var.name_prefix, "internal-")
    error_message = "name_prefix must be 2-28 characters of a-z, 0-9 and '-' (starting with a letter, ending with a letter or digit, no '--'), so that `{name_prefix}-alb` fits the 32 characters of a load balancer name."
  }
}

variable "state_bucket" {
  type        = string
  description = "State bucket holding `shared/preview-networking/terraform.tfstate` (the VPC the load balancer stands in) and, when acm_certificate_arn is empty, `shared/preview-dns/terraform.tfstate` (its wildcard certificate). It must be in aws_region."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be an S3 bucket name."
  }
}

variable "acm_certificate_arn" {
  type        = string
  description = "Certificate of the HTTPS listener, a wildcard for the preview domain; empty reads `certificate_arn` from shared/preview-dns's state."
  default     = ""

  validation {
    condition     = var.acm_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "access_logs_bucket" {
  type        = string
  description = "Bucket (name) of `infrastructure/shared/alb-logs` receiving the load balancer's access logs, under `environments/{name_prefix}-ingress/`; empty turns access logs off."
  default     = ""

  validation {
    condition     = var.access_logs_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.access_logs_bucket))
    error_message = "access_logs_bucket must be empty or an S3 bucket name."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Deletion protection of the load balancer: every shared-ingress environment answers through it. Turn it off to destroy the stack."
  default     = true
}
