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

variable "cluster_name" {
  type        = string
  description = "Name of the EKS cluster; also the prefix of its IAM roles, policy, KMS alias and log group."
  default     = "idp-previews"

  validation {
    # IAM role names are at most 64 characters and get a suffix of up to 25 (`-load-balancer-controller`).
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,37}$", var.cluster_name))
    error_message = "cluster_name must be 1-38 characters: a letter, then letters, digits and hyphens."
  }
}

variable "kubernetes_version" {
  type        = string
  description = "Kubernetes minor version of the control plane and the node group, e.g. `1.35`. Upgrade one minor version at a time."
  default     = "1.35"

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version))
    error_message = "kubernetes_version must be a Kubernetes minor version such as 1.35."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets (in at least two availability zones) for the control plane's network interfaces and the nodes. Empty: the private subnets of shared/preview-networking, read from state_bucket."
  default     = []

  validation {
    condition     = length(var.subnet_ids) == 0 || (length(var.subnet_ids) >= 2 && alltrue([for id in var.subnet_ids : can(regex("^subnet-[0-9a-f]{8,17}$", id))]))
    error_message = "subnet_ids must be empty or at least two subnet IDs such as subnet-0123456789abcdef0."
  }
}

variable "state_bucket" {
  type        = string
  description = "Bucket holding shared/preview-networking/terraform.tfstate; needed when subnet_ids is empty."
  default     = ""

  validation {
    condition     = var.state_bucket == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket))
    error_message = "state_bucket must be empty or an S3 bucket name."
  }
}

variable "endpoint_public_access_cidrs" {
  type        = list(string)
  description = "CIDR blocks allowed to reach the Kubernetes API's public endpoint. Empty (the default): no public endpoint, the API answers only inside the VPC (and networks peered or connected to it)."
  default     = []

  validation {
    condition     = alltrue([for cidr in var.endpoint_public_access_cidrs : can(cidrnetmask(cidr)) && cidr != "0.0.0.0/0"])
    error_message = "endpoint_public_access_cidrs must hold IPv4 CIDR blocks such as 203.0.113.0/24, and not 0.0.0.0/0."
  }
}

variable "cluster_log_types" {
  type        = list(string)
  description = "Control-plane logs sent to CloudWatch Logs (`/aws/eks/{cluster_name}/cluster`)."
  default     = ["api", "audit", "authenticator", "controllerManager", "scheduler"]

  validation {
    condition     = alltrue([for t in var.cluster_log_types : contains(["api", "audit", "authenticator", "controllerManager", "scheduler"], t)])
    error_message = "cluster_log_types may only hold api, audit, authenticator, controllerManager and scheduler."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the control-plane log group in days."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "node_instance_types" {
  type        = list(string)
  description = "EC2 instance types of the managed node group (more than one only makes sense with SPOT capacity)."
  default     = ["t3.medium"]

  validation {
    condition     = length(var.node_instance_types) > 0 && alltrue([for t in var.node_instance_types : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", t))])
    error_message = "node_instance_types must hold at least one instance type such as t3.medium."
  }
}

variable "node_capacity_type" {
  type        = string
  description = "ON_DEMAND or SPOT capacity for the node group."
  default     = "ON_DEMAND"

  validation {
    condition     = contains(["ON_DEMAND", "SPOT"], var.node_capacity_type)
    error_message = "node_capacity_type must be ON_DEMAND or SPOT."
  }
}

variable "node_desired_size" {
  type        = number
  description = "Number of nodes the node group starts with (between node_min_size and node_max_size)."
  default     = 2

  validation {
    condition     = var.node_desired_size >= 0 && floor(var.node_desired_size) == var.node_desired_size
    error_message = "node_desired_size must be a whole number, 0 or more."
  }
}

variable "node_min_size" {
  type        = number
  description = "Fewest nodes of the node group."
  default     = 1

  validation {
    condition     = var.node_min_size >= 0 && floor(var.node_min_size) == var.node_min_size
    error_message = "node_min_size must be a whole number, 0 or more."
  }
}

variable "node_max_size" {
  type        = number
  description = "Most nodes of the node group."
  default     = 3

  validation {
    condition     = var.node_max_size >= 1 && floor(var.node_max_size) == var.node_max_size
    error_message = "node_max_size must be a whole number, 1 or more."
  }
}

variable "node_disk_size" {
  type        = number
  description = "Size in GiB of each node's encrypted gp3 root volume."
  default     = 20

  validation {
    condition     = var.node_disk_size >= 20 && var.node_disk_size <= 16384 && floor(var.node_disk_size) == var.node_disk_size
    error_message = "node_disk_size must be a whole number of GiB from 20 to 16384."
  }
}

variable "oidc_thumbprints" {
  type        = list(string)
  description = "SHA-1 thumbprints of the CA behind the cluster's OIDC issuer, for the IAM OIDC provider (not fetched at apply time). The default is the root CA thumbprint commonly used for EKS issuers; IAM validates issuers with certificates from its trusted CAs itself."
  default     = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]

  validation {
    condition     = length(var.oidc_thumbprints) >= 1 && length(var.oidc_thumbprints) <= 5 && alltrue([for t in var.oidc_thumbprints : can(regex("^[0-9a-f]{40}$", t))])
    error_message = "oidc_thumbprints must hold 1-5 lowercase hexadecimal SHA-1 thumbprints (40 characters each)."
  }
}
