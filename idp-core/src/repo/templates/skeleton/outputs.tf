output "endpoint" {
  description = "The URL the environment answers at (empty until the template serves something)."
  value       = ""
}

output "log_group" {
  description = "The environment's CloudWatch log group."
  value       = aws_cloudwatch_log_group.this.name
}
