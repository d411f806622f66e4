locals {
  permissions_boundary_arn = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn

  template = "api-database"

  # The seed's tags, on every resource through the provider's default_tags.
  tags = {
    "idp:managed"     = "true"
    "idp:environment" = var.environment_name
    "idp:template"    = local.template
    "idp:owner"       = var.owner
    "idp:created-at"  = var.created_at
    "idp:ttl"         = var.ttl
    "idp:expires-at"  = var.expires_at
    "cost-center"     = var.cost_center
  }

  # The secret behind each `valueFrom` (the first seven `:` fields of the ARN, without a JSON key).
  user_secret_arns = distinct([for v in values(var.secret_variables) : join(":", slice(split(":", v), 0, 7))])

  # Network: exactly one of the two sources below exists (count 0 or 1), the shared preview VPC
  # read from its state or the environment's own VPC. The shared load balancer stands in the
  # shared VPC, so the shared ingress implies it.
  shared_networking  = var.use_shared_networking || var.use_shared_ingress
  shared_ingress     = one(data.terraform_remote_state.shared_ingress[*].outputs)
  vpc_id             = one(concat(data.terraform_remote_state.shared_networking[*].outputs.vpc_id, module.networking[*].vpc_id))
  public_subnet_ids  = one(concat(data.terraform_remote_state.shared_networking[*].outputs.public_subnet_ids, module.networking[*].public_subnet_ids))
  private_subnet_ids = one(concat(data.terraform_remote_state.shared_networking[*].outputs.private_subnet_ids, module.networking[*].private_subnet_ids))
}

data "terraform_remote_state" "shared_networking" {
  count = local.shared_networking ? 1 : 0

  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "shared/preview-networking/terraform.tfstate"
    region = var.aws_region
  }

  lifecycle {
    precondition {
      condition     = var.state_bucket != ""
      error_message = "use_shared_networking or use_shared_ingress is true but state_bucket is empty: set state_bucket to the bucket holding shared/preview-networking/terraform.tfstate."
    }
  }
}

# The shared load balancer (shared/preview-ingress), read when use_shared_ingress is true.
data "terraform_remote_state" "shared_ingress" {
  count = var.use_shared_ingress ? 1 : 0

  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "shared/preview-ingress/terraform.tfstate"
    region = var.aws_region
  }
}

module "networking" {
  source = "../../modules/networking"
  count  = local.shared_networking ? 0 : 1

  environment_name         = var.environment_name
  permissions_boundary_arn = local.permissions_boundary_arn
  high_availability        = var.nat_gateway_per_az
  enable_flow_logs         = var.enable_flow_logs
  flow_logs_retention_days = var.log_retention_days
  tags                     = local.tags
}

locals {
  # Load balancer and target group names are limited to 32 characters. A name that does not
  # fit is cut and given a short hash of the full environment name, so two long names that
  # share a prefix still get different load balancers.
  name_hash         = substr(sha256(var.environment_name), 0, 6)
  alb_name          = length("idp-${var.environment_name}-alb") <= 32 ? "idp-${var.environment_name}-alb" : "idp-${replace(substr(var.environment_name, 0, 17), "/-+$/", "")}-${local.name_hash}-alb"
  target_group_name = length("idp-${var.environment_name}-tg") <= 32 ? "idp-${var.environment_name}-tg" : "idp-${replace(substr(var.environment_name, 0, 18), "/-+$/", "")}-${local.name_hash}-tg"
}

locals {
  db_name = "appdb"

  # Connection settings injected into the container. A name the user sets in either map wins,
  # and is then dropped from the other so that no variable is defined twice.
  user_names = concat(keys(var.environment_variables), keys(var.secret_variables))
  db_environment = {
    DB_HOST = module.database.address
    DB_PORT = tostring(module.database.port)
    DB_NAME = module.database.db_name
  }
  db_secrets = {
    DB_USER     = "${module.database.secret_arn}:username::"
    DB_PASSWORD = "${module.database.secret_arn}:password::"
  }
  environment = merge({ for k, v in local.db_environment : k => v if !contains(local.user_names, k) }, var.environment_variables)
  secrets     = merge({ for k, v in local.db_secrets : k => v if !contains(local.user_names, k) }, var.secret_variables)
}

module "common" {
  source = "../../modules/common"

  environment_name         = var.environment_name
  permissions_boundary_arn = local.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  secret_arns              = concat([module.database.secret_arn], local.user_secret_arns)
  tags                     = local.tags

  # `idp exec NAME -- CMD` opens an ECS Exec session in a running task.
  enable_execute_command = true
}

module "service" {
  source = "../../modules/ecs-service"

  environment_name   = var.environment_name
  alb_name           = local.alb_name
  target_group_name  = local.target_group_name
  vpc_id             = local.vpc_id
  public_subnet_ids  = local.public_subnet_ids
  private_subnet_ids = local.private_subnet_ids

  cluster_id         = module.common.cluster_id
  execution_role_arn = module.common.execution_role_arn
  task_role_arn      = module.common.task_role_arn
  log_group_name     = module.common.log_group_name

  container_image   = var.container_image
  container_port    = var.container_port
  cpu               = var.cpu
  memory            = var.memory
  health_check_path = var.health_check_path
  environment       = local.environment
  secrets           = local.secrets

  acm_certificate_arn = var.acm_certificate_arn
  route53_zone_id     = var.route53_zone_id
  domain_name         = var.preview_domain
  access_logs_bucket  = var.alb_access_logs_bucket

  use_shared_ingress           = var.use_shared_ingress
  listener_rule_priority       = var.listener_rule_priority
  shared_listener_arn          = try(local.shared_ingress.https_listener_arn, "")
  shared_alb_arn               = try(local.shared_ingress.alb_arn, "")
  shared_alb_arn_suffix        = try(local.shared_ingress.alb_arn_suffix, "")
  shared_alb_dns_name          = try(local.shared_ingress.alb_dns_name, "")
  shared_alb_zone_id           = try(local.shared_ingress.alb_zone_id, "")
  shared_alb_security_group_id = try(local.shared_ingress.security_group_id, "")

  enable_execute_command = true

  alarm_topic_arn = var.alarm_topic_arn

  tags = local.tags
}

module "database" {
  source = "../../modules/rds-postgres"

  environment_name           = var.environment_name
  vpc_id                     = local.vpc_id
  subnet_ids                 = local.private_subnet_ids
  allowed_security_group_ids = [module.service.task_security_group_id]
  db_name                    = local.db_name
  log_retention_days         = var.log_retention_days
  tags                       = local.tags
}
