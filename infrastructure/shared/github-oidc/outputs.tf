output "deploy_role_arn" {
  description = "Role the platform's workflows assume to create, update and destroy environments (`role-to-assume` of aws-actions/configure-aws-credentials)."
  value       = aws_iam_role.deploy.arn
}

output "read_only_role_arn" {
  description = "Role for list, status, logs and cost."
  value       = aws_iam_role.read_only.arn
}

output "oidc_provider_arn" {
  description = "The GitHub OIDC provider the roles trust."
  value       = local.provider_arn
}

output "permissions_boundary_arns" {
  description = "Per repository (`owner/name`), the permissions boundary of its environments' roles; idp's `aws.permissionsBoundary` setting names them as `arn:…:policy/idp-boundary-{owner}+{repo}`."
  value       = { for repo, policy in aws_iam_policy.boundary : repo => policy.arn }
}

output "deploy_subjects" {
  description = "The `sub` claims the deploy role admits."
  value       = local.deploy_subjects
}
