variable "aws_region" {
  type        = string
  description = "AWS region of the stack."
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

variable "bucket_name" {
  type        = string
  description = "Name of the access log bucket (globally unique); give it to idp as `alb_access_logs_bucket`."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'."
  }
}

variable "expiration_days" {
  type        = number
  description = "Days after which access logs are deleted."
  default     = 14

  validation {
    condition     = var.expiration_days >= 1 && var.expiration_days <= 3650
    error_message = "expiration_days must be from 1 to 3650."
  }
}
