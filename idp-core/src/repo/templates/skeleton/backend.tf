# Partial configuration: bucket, key, region and lock table are given at init time, e.g.
#   tofu init -backend-config=../../backend.conf -backend-config="key=environments/NAME/terraform.tfstate"
terraform {
  backend "s3" {}
}
