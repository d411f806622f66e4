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

variable "preview_domain" {
  type        = string
  description = "Domain under which every environment gets `{name}.{preview_domain}`, e.g. `preview.example.com`."

  validation {
    condition     = can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.preview_domain))
    error_message = "preview_domain must be a lowercase domain name such as preview.example.com."
  }
}

variable "existing_zone_id" {
  type        = string
  description = "Hosted zone of preview_domain that already exists (e.g. made by this stack in another region); empty creates the zone."
  default     = ""

  validation {
    condition     = var.existing_zone_id == "" || can(regex("^[A-Z0-9]{1,32}$", var.existing_zone_id))
    error_message = "existing_zone_id must be empty or a hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}
