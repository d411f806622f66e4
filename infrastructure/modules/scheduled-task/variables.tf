variable "environment_name" {
  type        = string
  description = "Environment name; resources are named `idp-{environment_name}-*`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "vpc_id" {
  type        = string
  description = "ID of the VPC to run in."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets the scheduled task runs in."

  validation {
    condition     = length(var.subnet_ids) >= 1
    error_message = "subnet_ids needs at least one subnet."
  }
}

variable "cluster_arn" {
  type        = string
  description = "ARN of the ECS cluster, from the common module."
}

variable "execution_role_arn" {
  type        = string
  description = "ARN of the task execution role, from the common module."
}

variable "task_role_arn" {
  type        = string
  description = "ARN of the task (application) role, from the common module."
}

variable "task_role_name" {
  type        = string
  description = "Name of the task (application) role; the S3 read policy is attached to it."
}

variable "log_group_name" {
  type        = string
  description = "Name of the log group the container writes to, from the common module."
}

variable "container_image" {
  type        = string
  description = "Container image to run, e.g. `nginx:alpine` or an ECR URI."

  validation {
    condition     = length(trimspace(var.container_image)) > 0 && !can(regex("\\s", var.container_image))
    error_message = "container_image must be a non-empty image reference without whitespace."
  }
}

variable "cpu" {
  type        = number
  description = "Fargate CPU units (256, 512, 1024, 2048, 4096, 8192 or 16384)."
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of the Fargate sizes: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  type        = number
  description = "Fargate memory in MiB; must be a combination Fargate accepts for the chosen cpu."
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && floor(var.memory) == var.memory
    error_message = "memory must be an integer number of MiB from 512 to 122880."
  }
}

variable "environment" {
  type        = map(string)
  description = "Plain environment variables of the container."
  default     = {}
}

variable "secrets" {
  type        = map(string)
  description = "Secret environment variables of the container: name to Secrets Manager `valueFrom` (ARN, optionally with `:json-key:version-stage:version-id`). The execution role must be allowed to read them."
  default     = {}
}

variable "schedule_expression" {
  type        = string
  description = "When the task runs: an EventBridge `rate(...)` or `cron(...)` expression."

  validation {
    condition     = can(regex("^(rate|cron)\\(.+\\)$", var.schedule_expression))
    error_message = "schedule_expression must be rate(...) or cron(...), e.g. rate(1 hour) or cron(0 3 * * ? *)."
  }
}

variable "s3_bucket_arn" {
  type        = string
  description = "ARN of an S3 bucket the task may read (GetObject, ListBucket); empty for none."
  default     = ""

  validation {
    condition     = var.s3_bucket_arn == "" || can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.s3_bucket_arn))
    error_message = "s3_bucket_arn must be empty or a bucket ARN (arn:aws:s3:::BUCKET), without a key path."
  }
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
