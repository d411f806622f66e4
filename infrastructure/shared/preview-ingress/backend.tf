# Partial configuration: bucket, region and lock table are given at init time, e.g.
#   tofu init -backend-config=../../backend.conf -backend-config="key=shared/preview-ingress/terraform.tfstate"
terraform {
  backend "s3" {}
}
