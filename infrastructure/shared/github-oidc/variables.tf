variable "aws_region" {
  type        = string
  description = "AWS region of the stack's provider (IAM is global; the policies cover every region)."
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
  description = "Prefix of the roles and policies of this stack (`{prefix}-deploy`, `{prefix}-read-only`, `{prefix}-boundary-*`); it must start with `idp`."
  default     = "idp"

  validation {
    condition     = can(regex("^idp[a-z0-9-]{0,20}$", var.name_prefix))
    error_message = "name_prefix must start with \"idp\" and be at most 23 characters of a-z, 0-9 and '-'."
  }
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create the account's GitHub OIDC provider (`token.actions.githubusercontent.com`); false when the account already has one (an account holds at most one per URL)."
  default     = true
}

variable "repositories" {
  type        = list(string)
  description = "GitHub repositories (`owner/name`) whose workflows may assume the roles. Each one also gets its own permissions boundary, `{prefix}-boundary-{owner}+{name}`."

  validation {
    condition     = length(var.repositories) > 0 && alltrue([for r in var.repositories : can(regex("^[A-Za-z0-9-]+/[A-Za-z0-9_.-]+$", r))])
    error_message = "repositories must list at least one repository as owner/name (no wildcards)."
  }
}

variable "deploy_branches" {
  type        = list(string)
  description = "Branches whose workflows may assume the deploy role (`sub` = `repo:{owner}/{name}:ref:refs/heads/{branch}`), e.g. main for the TTL sweep."
  default     = ["main"]

  validation {
    condition     = alltrue([for b in var.deploy_branches : can(regex("^[A-Za-z0-9._/-]+$", b))])
    error_message = "deploy_branches must be branch names (no wildcards)."
  }
}

variable "deploy_environments" {
  type        = list(string)
  description = "GitHub environments whose jobs may assume the deploy role (`sub` = `repo:{owner}/{name}:environment:{env}`); give the preview job such an environment and restrict its deployment branches there."
  default     = ["preview"]

  validation {
    condition     = alltrue([for e in var.deploy_environments : can(regex("^[A-Za-z0-9._ -]+$", e))])
    error_message = "deploy_environments must be GitHub environment names (no wildcards)."
  }
}

variable "read_only_pull_requests" {
  type        = bool
  description = "Let pull request workflows of the repositories assume the read-only role (`sub` = `repo:{owner}/{name}:pull_request`) besides the deploy subjects."
  default     = true
}

variable "state_bucket" {
  type        = string
  description = "The state bucket (idp's `aws.stateBucket`)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be a valid S3 bucket name."
  }
}

variable "lock_table" {
  type        = string
  description = "The DynamoDB lock table (idp's `aws.lockTable`)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]{3,255}$", var.lock_table))
    error_message = "lock_table must be a valid DynamoDB table name."
  }
}

variable "preview_domain" {
  type        = string
  description = "The preview domain; the deploy role may change only records under it (empty: no Route 53 record changes)."
  default     = ""

  validation {
    condition     = var.preview_domain == "" || can(regex("^([a-z0-9-]+\\.)+[a-z]{2,}$", var.preview_domain))
    error_message = "preview_domain must be empty or a lowercase domain name such as preview.example.com."
  }
}

variable "extra_secret_arn_patterns" {
  type        = map(list(string))
  description = "Per repository (`owner/name`), secret ARN patterns its environments may read besides `arn:{partition}:secretsmanager:*:{account}:secret:idp/{owner}/{name}/*`. Keep them equal to idp's `aws.secretPatterns` setting."
  default     = {}

  validation {
    condition     = alltrue(flatten([for r, ps in var.extra_secret_arn_patterns : [for p in ps : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-*]+:[0-9*]+:secret:[A-Za-z0-9/_+=.@*?-]+$", p)) && !startswith(split(":secret:", p)[1], "*")]]))
    error_message = "extra_secret_arn_patterns values must be Secrets Manager ARN patterns whose secret name does not start with a wildcard."
  }
}

variable "oidc_issuer_url" {
  type        = string
  description = "The issuer of GitHub's OIDC tokens: `https://token.actions.githubusercontent.com`, or `https://token.actions.githubusercontent.com/{enterprise}` for an enterprise's own issuer."
  default     = "https://token.actions.githubusercontent.com"

  validation {
    condition     = can(regex("^https://token\\.actions\\.githubusercontent\\.com(/[A-Za-z0-9_-]+)?$", var.oidc_issuer_url))
    error_message = "oidc_issuer_url must be https://token.actions.githubusercontent.com, optionally followed by /ENTERPRISE."
  }
}
