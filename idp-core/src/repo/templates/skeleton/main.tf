# A template idp provisions: one root module per environment, applied with its own state.
# Replace the log group below with what the environment needs; keep the tags and the contract
# (infrastructure/templates/README.md, checked by `idp templates check`).

locals {
  template = "__NAME__"

  # On every resource through the provider's default_tags.
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
}

# The environment's log group; every name starts with `idp-{environment_name}`.
resource "aws_cloudwatch_log_group" "this" {
  name              = "/idp/idp-${var.environment_name}"
  retention_in_days = var.log_retention_days
}
