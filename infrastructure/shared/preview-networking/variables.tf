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

variable "high_availability" {
  type        = bool
  description = "One NAT gateway per availability zone instead of one shared gateway."
  default     = false
}

variable "enable_flow_logs" {
  type        = bool
  description = "Send the shared VPC's flow logs to CloudWatch."
  default     = true
}

variable "flow_logs_retention_days" {
  type        = number
  description = "Retention of the flow log group in days."
  default     = 14

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every name of the stack (VPC, flow-logs log group and IAM role): `{name_prefix}-vpc`, `/vpc/{name_prefix}/flow-logs`, …; it must start with `idp-`. Two copies of the stack in one account and region need two prefixes."
  default     = "idp-shared-preview"

  validation {
    condition     = can(regex("^idp-[a-z][a-z0-9-]{0,30}[a-z0-9]$", var.name_prefix)) && !strcontains(var.name_prefix, "--")
    error_message = "name_prefix must be `idp-` followed by 2-32 characters of a-z, 0-9 and '-' (starting with a letter, ending with a letter or digit, no '--'), e.g. idp-shared-preview."
  }
}
