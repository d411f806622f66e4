# One VPC shared by every environment provisioned with use_shared_networking = true. Its
# resources are named idp-shared-preview-*; templates read its outputs from the state bucket
# at shared/preview-networking/terraform.tfstate.
module "networking" {
  source = "../../modules/networking"

  environment_name         = "shared-preview"
  vpc_cidr                 = "10.100.0.0/16"
  high_availability        = var.high_availability
  enable_flow_logs         = var.enable_flow_logs
  flow_logs_retention_days = var.flow_logs_retention_days
}
