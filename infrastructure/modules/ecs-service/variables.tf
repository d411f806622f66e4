variable "environment_name" {
  type        = string
  description = "Environment name; resources are named `idp-{environment_name}-*` and the DNS record `{environment_name}.{domain_name}`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "alb_name" {
  type        = string
  description = "Name of the load balancer (at most 32 characters; the root module derives it from the environment name)."

  validation {
    condition     = length(var.alb_name) <= 32 && can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", var.alb_name)) && !startswith(var.alb_name, "internal-")
    error_message = "alb_name must be 1-32 characters of letters, digits and '-', must not start or end with '-', and must not start with 'internal-'."
  }
}

variable "target_group_name" {
  type        = string
  description = "Name of the target group (at most 32 characters; the root module derives it from the environment name)."

  validation {
    condition     = length(var.target_group_name) <= 32 && can(regex("^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", var.target_group_name))
    error_message = "target_group_name must be 1-32 characters of letters, digits and '-', and must not start or end with '-'."
  }
}

variable "vpc_id" {
  type        = string
  description = "ID of the VPC to run in."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets for the load balancer (two zones at least; unused on the shared ingress)."

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids needs at least two subnets in different availability zones (an ALB requirement)."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets for the tasks."

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids needs at least one subnet."
  }
}

variable "cluster_id" {
  type        = string
  description = "ID (ARN) of the ECS cluster, from the common module."
}

variable "execution_role_arn" {
  type        = string
  description = "ARN of the task execution role, from the common module."
}

variable "task_role_arn" {
  type        = string
  description = "ARN of the task (application) role, from the common module."
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

variable "container_port" {
  type        = number
  description = "Port the container listens on; the load balancer forwards to it."
  default     = 80

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be an integer from 1 to 65535."
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

variable "desired_count" {
  type        = number
  description = "Number of tasks to keep running."
  default     = 1

  validation {
    condition     = var.desired_count >= 0 && var.desired_count <= 10 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be an integer from 0 to 10."
  }
}

variable "health_check_path" {
  type        = string
  description = "HTTP path the target group probes; any 200-399 answer counts as healthy."
  default     = "/"

  validation {
    condition     = can(regex("^/[A-Za-z0-9/._~%!$&'()*+,;=:@?-]*$", var.health_check_path)) && length(var.health_check_path) <= 1024
    error_message = "health_check_path must start with '/' and contain only URL path characters (at most 1024)."
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

variable "acm_certificate_arn" {
  type        = string
  description = "ACM certificate for the HTTPS listener. When set, HTTP redirects to HTTPS (TLS 1.3 policy); when empty, the load balancer serves plain HTTP."
  default     = ""

  validation {
    condition     = var.acm_certificate_arn == "" || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", var.acm_certificate_arn))
    error_message = "acm_certificate_arn must be empty or an ACM certificate ARN (arn:aws:acm:REGION:ACCOUNT:certificate/ID)."
  }
}

variable "route53_zone_id" {
  type        = string
  description = "Route 53 hosted zone for the `{environment_name}.{domain_name}` alias record; empty for no record."
  default     = ""
}

variable "domain_name" {
  type        = string
  description = "Domain under which the environment gets its hostname (`{environment_name}.{domain_name}`); empty for none."
  default     = ""
}

variable "access_logs_bucket" {
  type        = string
  description = "S3 bucket (name) receiving the load balancer's access logs under `environments/{environment_name}/`; empty to turn access logs off."
  default     = ""
}

variable "use_shared_ingress" {
  type        = bool
  description = "Serve through the shared load balancer (`infrastructure/shared/preview-ingress`): no load balancer of its own, a host-header rule on the shared HTTPS listener instead. Needs the shared_* inputs, listener_rule_priority, route53_zone_id and domain_name."
  default     = false
}

variable "shared_listener_arn" {
  type        = string
  description = "With use_shared_ingress: the shared HTTPS listener the environment's rule is added to."
  default     = ""
}

variable "shared_alb_arn" {
  type        = string
  description = "With use_shared_ingress: ARN of the shared load balancer."
  default     = ""
}

variable "shared_alb_arn_suffix" {
  type        = string
  description = "With use_shared_ingress: ARN suffix of the shared load balancer (its CloudWatch dimension)."
  default     = ""
}

variable "shared_alb_dns_name" {
  type        = string
  description = "With use_shared_ingress: DNS name of the shared load balancer (the alias record's target)."
  default     = ""
}

variable "shared_alb_zone_id" {
  type        = string
  description = "With use_shared_ingress: hosted zone of the shared load balancer's DNS name."
  default     = ""
}

variable "shared_alb_security_group_id" {
  type        = string
  description = "With use_shared_ingress: security group of the shared load balancer; the tasks take traffic from it."
  default     = ""
}

variable "listener_rule_priority" {
  type        = number
  description = "With use_shared_ingress: priority of the environment's rule on the shared listener (1-50000, unique on the listener; idp allocates it). 0: not on the shared ingress."
  default     = 0

  validation {
    condition     = var.listener_rule_priority >= 0 && var.listener_rule_priority <= 50000 && floor(var.listener_rule_priority) == var.listener_rule_priority
    error_message = "listener_rule_priority must be an integer from 0 to 50000 (0: not on the shared ingress)."
  }
}

variable "enable_execute_command" {
  type        = bool
  description = "ECS Exec on the service's tasks (`idp exec`); the task role needs the `ssmmessages` channel actions (module `common`, `enable_execute_command`)."
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
