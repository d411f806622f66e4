variable "environment_name" {
  type        = string
  description = "Environment name; the instance is `idp-{environment_name}-postgres`."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,38}[a-z0-9]$", var.environment_name)) && !strcontains(var.environment_name, "--")
    error_message = "environment_name must be 2-40 characters of a-z, 0-9 and '-', start with a letter, end with a letter or digit, and contain no '--'."
  }
}

variable "vpc_id" {
  type        = string
  description = "ID of the VPC the database runs in."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the database subnet group (two availability zones at least)."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "subnet_ids needs at least two subnets in different availability zones (an RDS subnet group requirement)."
  }
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed to connect on port 5432 (the application's tasks)."
  default     = []
}

variable "db_name" {
  type        = string
  description = "Name of the database created in the instance."
  default     = "appdb"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.db_name))
    error_message = "db_name must start with a lowercase letter and contain only a-z, 0-9 and '_' (at most 63 characters)."
  }
}

variable "instance_class" {
  type        = string
  description = "RDS instance class."
  default     = "db.t3.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must look like db.t3.micro."
  }
}

variable "allocated_storage" {
  type        = number
  description = "Storage in GiB (gp3)."
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 1000
    error_message = "allocated_storage must be from 20 to 1000 GiB."
  }
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL version: a major version (`16`) lets RDS pick and upgrade the minor one."
  default     = "16"

  validation {
    condition     = can(regex("^(1[3-9])(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be a PostgreSQL major version from 13 up, optionally with a minor version (16 or 16.4)."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the PostgreSQL log group in days; match it to the environment's TTL."
  default     = 3

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
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
