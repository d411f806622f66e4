provider "aws" {
  region = var.aws_region

  default_tags {
    tags = {
      "idp:managed"     = "true"
      "idp:environment" = "shared"
      "idp:template"    = "shared/preview-ingress"
      "idp:owner"       = var.owner
      "cost-center"     = var.cost_center
    }
  }
}
