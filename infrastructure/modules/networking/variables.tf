variable "environment_name" {
  type        = string
  description = "Environment name; every resource is named `idp-{environment_name}-*`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC. Subnets are /24s carved at indexes 0-1 (public) and 10-11 (private), so the prefix must be /20 or shorter."
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR block with a prefix of /20 or shorter, e.g. 10.0.0.0/16."
  }
}

variable "high_availability" {
  type        = bool
  description = "Create one NAT gateway per availability zone instead of a single shared one (about $0.05/hour more per extra gateway)."
  default     = false
}

variable "enable_flow_logs" {
  type        = bool
  description = "Send VPC flow logs (all traffic) to a CloudWatch log group `/vpc/idp-{environment_name}/flow-logs`."
  default     = false
}

variable "flow_logs_retention_days" {
  type        = number
  description = "Retention of the flow log group in days; match it to the environment's TTL."
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_logs_retention_days)
    error_message = "flow_logs_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
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
