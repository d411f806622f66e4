output "endpoint" {
  description = "URL of the service (`https://` only when a certificate is set)."
  value       = module.service.endpoint
}

output "cluster_name" {
  description = "Name of the ECS cluster."
  value       = module.common.cluster_name
}

output "service_name" {
  description = "Name of the ECS service."
  value       = module.service.service_name
}

output "log_group" {
  description = "CloudWatch log group of the container (`/ecs/idp-{environment_name}`)."
  value       = module.common.log_group_name
}

output "alarm_names" {
  description = "Names of the environment's CloudWatch alarms: the 5xx rate of its targets and its unhealthy targets."
  value       = module.service.alarm_names
}
