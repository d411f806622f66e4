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

variable "state_bucket_name" {
  type        = string
  description = "Name of the state bucket (globally unique); idp's `STATE_BUCKET`."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits, '.' and '-'."
  }
}

variable "lock_table_name" {
  type        = string
  description = "Name of the DynamoDB lock table; idp's `LOCK_TABLE`."
  default     = "idp-terraform-locks"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be 3-255 characters of letters, digits, '_', '.' and '-'."
  }
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days old state versions are kept before deletion (they allow rolling a state back)."
  default     = 30

  validation {
    condition     = var.noncurrent_version_days >= 1
    error_message = "noncurrent_version_days must be at least 1."
  }
}

variable "deletion_protection" {
  type        = bool
  description = "Keep the lock table from being deleted. To tear the platform down, apply once with false, then destroy."
  default     = true
}
