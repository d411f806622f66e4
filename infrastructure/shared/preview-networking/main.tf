# One VPC shared by every environment provisioned with use_shared_networking = true (or
# use_shared_ingress = true). Its resources are named {name_prefix}-* (idp-shared-preview-* by
# default); templates read its outputs from the state bucket at
# shared/preview-networking/terraform.tfstate.
module "networking" {
  source = "../../modules/networking"

  # The module names everything idp-{environment_name}-*.
  environment_name         = trimprefix(var.name_prefix, "idp-")
  vpc_cidr                 = "10.100.0.0/16"
  high_availability        = var.high_availability
  enable_flow_logs         = var.enable_flow_logs
  flow_logs_retention_days = var.flow_logs_retention_days
}
