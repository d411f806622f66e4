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

variable "repository_name" {
  type        = string
  description = "Name of the shared repository preview images are pushed to."
  default     = "idp-preview"

  validation {
    condition     = can(regex("^[a-z0-9]+([._-][a-z0-9]+)*(/[a-z0-9]+([._-][a-z0-9]+)*)*$", var.repository_name)) && length(var.repository_name) <= 256
    error_message = "repository_name must be a valid ECR repository name (lowercase letters, digits, and . _ - / separators)."
  }
}

variable "preview_tag_prefix" {
  type        = string
  description = "Tag prefix of preview images (`{environment_name}-{short_sha}` with names starting `preview-`)."
  default     = "preview-"
}

variable "max_preview_images" {
  type        = number
  description = "How many of the newest preview-tagged images to keep across the whole repository. Set it well above (concurrent environments x pushes per environment) so no running environment loses its image."
  default     = 200

  validation {
    condition     = var.max_preview_images >= 10 && var.max_preview_images <= 10000
    error_message = "max_preview_images must be from 10 to 10000."
  }
}

variable "force_delete" {
  type        = bool
  description = "Let `tofu destroy` delete the repository while it still holds images."
  default     = false
}

variable "dockerhub_username" {
  type        = string
  description = "Docker Hub user for the pull-through cache; empty turns the cache off."
  default     = ""
}

variable "dockerhub_access_token" {
  type        = string
  description = "Docker Hub access token for the pull-through cache (stored in Secrets Manager, and in this stack's state)."
  default     = ""
  sensitive   = true
}
