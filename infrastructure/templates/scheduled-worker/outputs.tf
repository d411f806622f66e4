output "cluster_name" {
  description = "Name of the ECS cluster the task runs on."
  value       = module.common.cluster_name
}

output "task_definition_arn" {
  description = "ARN of the current task definition revision."
  value       = module.task.task_definition_arn
}

output "event_rule_name" {
  description = "Name of the EventBridge rule that starts the task."
  value       = module.task.event_rule_name
}

output "log_group" {
  description = "CloudWatch log group of the task (`/ecs/idp-{environment_name}`)."
  value       = module.common.log_group_name
}
