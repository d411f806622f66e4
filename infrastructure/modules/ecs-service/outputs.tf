output "endpoint" {
  description = "URL of the service: `https://` only when a certificate is set, on `{environment_name}.{domain_name}` when a DNS record was made, else on the load balancer's own name."
  value       = "${local.https ? "https" : "http"}://${local.hostname}"
}

output "hostname" {
  description = "Hostname the service answers on."
  value       = local.hostname
}

output "service_name" {
  description = "Name of the ECS service."
  value       = aws_ecs_service.this.name
}

output "task_definition_arn" {
  description = "ARN of the current task definition revision."
  value       = aws_ecs_task_definition.this.arn
}

output "alb_arn" {
  description = "ARN of the load balancer (the shared one on the shared ingress)."
  value       = local.alb_arn
}

output "alb_dns_name" {
  description = "DNS name AWS gave the load balancer (the shared one on the shared ingress)."
  value       = local.alb_dns_name
}

output "load_balancer_arn_suffix" {
  description = "ARN suffix of the load balancer the environment is served by (its own or the shared one): the `LoadBalancer` dimension of its CloudWatch metrics."
  value       = local.load_balancer_arn_suffix
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the environment's target group: the `TargetGroup` dimension of its CloudWatch metrics."
  value       = local.target_group_arn_suffix
}

output "target_group_arn" {
  description = "ARN of the target group."
  value       = aws_lb_target_group.this.arn
}

output "task_security_group_id" {
  description = "Security group of the tasks (databases allow traffic from it)."
  value       = aws_security_group.task.id
}
