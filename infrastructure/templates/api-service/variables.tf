# The variables of the templates served behind a load balancer: `api-database/variables.tf`
# is a link to this file, so the two templates can never drift apart.

variable "environment_name" {
  type        = string
  description = "Name of the environment (2-40 characters); every resource is named `idp-{environment_name}-*`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "owner" {
  type        = string
  description = "Who the environment belongs to (an email address); tagged as `idp:owner`."

  validation {
    condition     = length(var.owner) <= 256 && can(regex("^[\\p{L}\\p{N} _.:/=+@-]+$", var.owner))
    error_message = "owner must be 1-256 characters valid in an AWS tag value: letters, digits, spaces and _ . : / = + - @."
  }
}

variable "ttl" {
  type        = string
  description = "Total lifetime of the environment, e.g. `7d`, `48h`, `90m` or `2w`; tagged as `idp:ttl`."

  validation {
    condition     = can(regex("^[1-9][0-9]*[mhdw]$", var.ttl))
    error_message = "ttl must be a positive number of minutes, hours, days or weeks, e.g. 90m, 48h, 7d or 2w."
  }
}

variable "created_at" {
  type        = string
  description = "When the environment was created (RFC 3339 UTC, e.g. `2026-02-18T22:03:39Z`); tagged as `idp:created-at`."

  validation {
    condition     = can(formatdate("YYYY", var.created_at)) && endswith(var.created_at, "Z")
    error_message = "created_at must be an RFC 3339 timestamp in UTC, e.g. 2026-02-18T22:03:39Z."
  }
}

variable "expires_at" {
  type        = string
  description = "When the environment expires (RFC 3339 UTC); tagged as `idp:expires-at`."

  validation {
    condition     = can(formatdate("YYYY", var.expires_at)) && endswith(var.expires_at, "Z")
    error_message = "expires_at must be an RFC 3339 timestamp in UTC, e.g. 2026-02-25T22:03:39Z."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region the environment runs in."
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-[0-9]+$", var.aws_region))
    error_message = "aws_region must be an AWS region code, e.g. us-east-1 or eu-west-3."
  }
}

variable "container_image" {
  type        = string
  description = "Container image to run, e.g. `nginx:alpine` or an ECR image URI."
  default     = "nginx:alpine"

  validation {
    condition     = length(trimspace(var.container_image)) > 0 && !can(regex("\\s", var.container_image))
    error_message = "container_image must be a non-empty image reference without whitespace."
  }
}

variable "cpu" {
  type        = number
  description = "Fargate CPU units (256 = 0.25 vCPU)."
  default     = 256

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096, 8192, 16384], var.cpu)
    error_message = "cpu must be one of the Fargate sizes: 256, 512, 1024, 2048, 4096, 8192, 16384."
  }
}

variable "memory" {
  type        = number
  description = "Fargate memory in MiB; must be a size Fargate accepts for the chosen cpu (256 takes 512, 1024 or 2048)."
  default     = 512

  validation {
    condition     = var.memory >= 512 && var.memory <= 122880 && floor(var.memory) == var.memory
    error_message = "memory must be an integer number of MiB from 512 to 122880 (and a valid Fargate combination with cpu)."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the environment's CloudWatch log groups in days; match it to the TTL."
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "environment_variables" {
  type        = map(string)
  description = "Plain environment variables of the container."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.environment_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "environment_variables names must be letters, digits and '_', not starting with a digit."
  }
}

variable "secret_variables" {
  type        = map(string)
  description = "Secret environment variables: name to Secrets Manager `valueFrom` (a secret ARN, optionally followed by `:json-key:version-stage:version-id`). The execution role may read exactly these secrets."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.secret_variables) : can(regex("^[A-Za-z_][A-Za-z0-9_]*$", k))])
    error_message = "secret_variables names must be letters, digits and '_', not starting with a digit."
  }

  validation {
    condition     = alltrue([for v in values(var.secret_variables) : can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@!-]+(:[^:]*:[^:]*:[^:]*)?$", v))])
    error_message = "secret_variables values must be Secrets Manager secret ARNs (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME), optionally followed by :json-key:version-stage:version-id, e.g. ...:secret:api-AbCdEf:API_KEY::."
  }
}

variable "use_shared_networking" {
  type        = bool
  description = "Run in the shared preview VPC (`infrastructure/shared/preview-networking`, read from the state bucket) instead of creating a VPC and NAT gateway for this environment."
  default     = false
}

variable "use_shared_ingress" {
  type        = bool
  description = "Serve through the shared load balancer (`infrastructure/shared/preview-ingress`, read from the state bucket) instead of one of the environment's own: only a target group, a host-header rule at listener_rule_priority, the DNS record and the ECS service are made. Implies the shared preview VPC; needs state_bucket, route53_zone_id and preview_domain."
  default     = false
}

variable "listener_rule_priority" {
  type        = number
  description = "With use_shared_ingress: priority of the environment's host-header rule on the shared HTTPS listener (1-50000, unique per listener; idp allocates one per environment and keeps it across redeploys). 0 when not on the shared ingress."
  default     = 0

  validation {
    condition     = var.listener_rule_priority >= 0 && var.listener_rule_priority <= 50000 && floor(var.listener_rule_priority) == var.listener_rule_priority
    error_message = "listener_rule_priority must be an integer from 0 to 50000 (0: not on the shared ingress)."
  }
}

variable "state_bucket" {
  type        = string
  description = "State bucket holding `shared/preview-networking/terraform.tfstate` (and `shared/preview-ingress/terraform.tfstate`); required when use_shared_networking or use_shared_ingress is true. It must be in aws_region."
  default     = ""

  validation {
    condition     = var.state_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be empty or an S3 bucket name."
  }
}

variable "nat_gateway_per_az" {
  type        = bool
  description = "With the environment's own VPC (use_shared_networking false): one NAT gateway per availability zone instead of one shared gateway, so losing a zone does not cut the other's egress (about $0.045/hour more)."
  default     = false
}

variable "enable_flow_logs" {
  type        = bool
  description = "With the environment's own VPC (use_shared_networking false): send its flow logs (all traffic) to the log group `/vpc/idp-{environment_name}/flow-logs`, kept log_retention_days."
  default     = false
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

variable "container_port" {
  type        = number
  description = "Port the container listens on; the load balancer forwards to it."
  default     = 80

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be an integer from 1 to 65535."
  }
}

variable "health_check_path" {
  type        = string
  description = "HTTP path the load balancer probes; any 200-399 answer counts as healthy."
  default     = "/"

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._~%!$&'()*+,;=:@?-]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with '/' and contain only URL path characters (at most 1024), e.g. /health."
  }
}

variable "acm_certificate_arn" {
  type        = string
  description = "ACM certificate (in aws_region) for HTTPS; when set, HTTP redirects to HTTPS. Empty serves plain HTTP."
  default     = ""

  validation {
    condition     = var.acm_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone of preview_domain; with both set the environment answers on `{environment_name}.{preview_domain}`."
  default     = ""

  validation {
    condition     = var.route53_zone_id == "" || can(regex("^[A-Z0-9]{1,32}$", var.route53_zone_id))
    error_message = "route53_zone_id must be empty or a hosted zone ID such as Z0123456789ABCDEFGHIJ."
  }
}

variable "preview_domain" {
  type        = string
  description = "Domain the environment's hostname is made under, e.g. `preview.example.com`."
  default     = ""

  validation {
    condition     = var.preview_domain == "" || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.preview_domain))
    error_message = "preview_domain must be empty or a lowercase domain name such as preview.example.com."
  }
}

variable "alb_access_logs_bucket" {
  type        = string
  description = "Bucket (name) of `infrastructure/shared/alb-logs` receiving the load balancer's access logs; empty turns access logs off."
  default     = ""

  validation {
    condition     = var.alb_access_logs_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.alb_access_logs_bucket))
    error_message = "alb_access_logs_bucket must be empty or an S3 bucket name."
  }
}

variable "permissions_boundary_arn" {
  type        = string
  description = "Permissions boundary of every IAM role of the environment (idp's `aws.permissionsBoundary`, shared/github-oidc's boundary of the environment's repository); empty: none."
  default     = ""

  validation {
    condition     = var.permissions_boundary_arn == "" || can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:policy/[A-Za-z0-9+=,.@_/-]+$", var.permissions_boundary_arn))
    error_message = "permissions_boundary_arn must be empty or an IAM policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)."
  }
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the environment's CloudWatch alarms notify (alarm and OK); empty: the alarms only change state."
  default     = ""

  validation {
    condition     = var.alarm_topic_arn == "" || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", var.alarm_topic_arn))
    error_message = "alarm_topic_arn must be empty or an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
  }
}
