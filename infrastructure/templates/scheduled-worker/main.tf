locals {
  permissions_boundary_arn = var.permissions_boundary_arn == "" ? null : var.permissions_boundary_arn

  template = "scheduled-worker"

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
  # read from its state or the environment's own VPC.
  vpc_id             = one(concat(data.terraform_remote_state.shared_networking[*].outputs.vpc_id, module.networking[*].vpc_id))
  private_subnet_ids = one(concat(data.terraform_remote_state.shared_networking[*].outputs.private_subnet_ids, module.networking[*].private_subnet_ids))
}

data "terraform_remote_state" "shared_networking" {
  count = var.use_shared_networking ? 1 : 0

  backend = "s3"
  config = {
    bucket = var.state_bucket
    key    = "shared/preview-networking/terraform.tfstate"
    region = var.aws_region
  }

  lifecycle {
    precondition {
      condition     = var.state_bucket != ""
      error_message = "use_shared_networking is true but state_bucket is empty: set state_bucket to the bucket holding shared/preview-networking/terraform.tfstate."
    }
  }
}

module "networking" {
  source = "../../modules/networking"
  count  = var.use_shared_networking ? 0 : 1

  environment_name         = var.environment_name
  permissions_boundary_arn = local.permissions_boundary_arn
  high_availability        = var.nat_gateway_per_az
  enable_flow_logs         = var.enable_flow_logs
  flow_logs_retention_days = var.log_retention_days
  tags                     = local.tags
}

module "common" {
  source = "../../modules/common"

  environment_name         = var.environment_name
  permissions_boundary_arn = local.permissions_boundary_arn
  log_retention_days       = var.log_retention_days
  secret_arns              = local.user_secret_arns
  tags                     = local.tags
}

module "task" {
  source = "../../modules/scheduled-task"

  environment_name         = var.environment_name
  permissions_boundary_arn = local.permissions_boundary_arn
  vpc_id                   = local.vpc_id
  subnet_ids               = local.private_subnet_ids

  cluster_arn        = module.common.cluster_arn
  execution_role_arn = module.common.execution_role_arn
  task_role_arn      = module.common.task_role_arn
  task_role_name     = module.common.task_role_name
  log_group_name     = module.common.log_group_name

  container_image     = var.container_image
  cpu                 = var.cpu
  memory              = var.memory
  environment         = var.environment_variables
  secrets             = var.secret_variables
  schedule_expression = var.schedule_expression
  s3_bucket_arn       = var.s3_bucket_arn

  tags = local.tags
}
