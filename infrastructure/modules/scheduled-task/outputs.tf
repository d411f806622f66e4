output "task_definition_arn" {
  description = "ARN of the current task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "event_rule_name" {
  description = "Name of the EventBridge rule that starts the task."
  value       = aws_cloudwatch_event_rule.this.name
}

output "event_rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = aws_cloudwatch_event_rule.this.arn
}

output "security_group_id" {
  description = "Security group of the task."
  value       = aws_security_group.task.id
}

output "events_role_arn" {
  description = "ARN of the role EventBridge assumes to start the task."
  value       = aws_iam_role.events.arn
}
