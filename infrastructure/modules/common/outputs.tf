output "name_prefix" {
  description = "Prefix of every resource name of the environment: `idp-{environment_name}`."
  value       = local.name
}

output "cluster_id" {
  description = "ID (ARN) of the ECS cluster."
  value       = aws_ecs_cluster.this.id
}

output "cluster_arn" {
  description = "ARN of the ECS cluster."
  value       = aws_ecs_cluster.this.arn
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "log_group_name" {
  description = "Name of the container log group, `/ecs/idp-{environment_name}`."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_group_arn" {
  description = "ARN of the container log group."
  value       = aws_cloudwatch_log_group.this.arn
}

output "execution_role_arn" {
  description = "ARN of the task execution role (available once its policy is attached, so no task starts without it)."
  value       = aws_iam_role.execution.arn
  depends_on  = [aws_iam_role_policy.execution]
}

output "task_role_arn" {
  description = "ARN of the task (application) role."
  value       = aws_iam_role.task.arn
}

output "task_role_name" {
  description = "Name of the task (application) role, for attaching workload policies."
  value       = aws_iam_role.task.name
}
