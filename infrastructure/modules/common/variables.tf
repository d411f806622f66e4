variable "environment_name" {
  type        = string
  description = "Environment name; resources are named `idp-{environment_name}-*`, the log group `/ecs/idp-{environment_name}`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the container log group in days; match it to the environment's TTL."
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "secret_arns" {
  type        = list(string)
  description = "ARNs of the Secrets Manager secrets the task execution role may read (GetSecretValue), and nothing else: full ARNs (`...:secret:NAME-AbCdEf`) or partial ones (`...:secret:NAME`). Pass the secret ARN, not the `valueFrom` with a JSON key."
  default     = []

  validation {
    condition     = alltrue([for arn in var.secret_arns : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+$", arn))])
    error_message = "Every secret_arns entry must be a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), without a JSON key suffix."
  }
}

variable "container_insights" {
  type        = string
  description = "CloudWatch Container Insights on the cluster: `enabled` or `disabled`."
  default     = "enabled"

  validation {
    condition     = contains(["enabled", "disabled"], var.container_insights)
    error_message = "container_insights must be \"enabled\" or \"disabled\"."
  }
}

variable "enable_execute_command" {
  type        = bool
  description = "Let the task role open ECS Exec sessions (`idp exec`, `aws ecs execute-command`): the four `ssmmessages` channel actions. Pair it with `enable_execute_command` on the service."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource (on top of the provider's default_tags). `idp:managed` may only be `true`."
  default     = {}

  validation {
    condition     = lookup(var.tags, "idp:managed", "true") == "true"
    error_message = "tags[\"idp:managed\"] must be \"true\" when set; idp finds its resources by this tag."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role this module creates (shared/github-oidc's per-repository boundary); null: none."
  default     = null

  validation {
    condition     = var.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be null or an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }
}
