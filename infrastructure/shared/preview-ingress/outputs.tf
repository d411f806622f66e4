output "alb_arn" {
  description = "ARN of the shared load balancer."
  value       = aws_lb.this.arn
}

output "alb_arn_suffix" {
  description = "ARN suffix of the shared load balancer (`app/{name}/{id}`, the `LoadBalancer` dimension of its CloudWatch metrics)."
  value       = aws_lb.this.arn_suffix
}

output "alb_dns_name" {
  description = "DNS name AWS gave the load balancer; environments' alias records point at it."
  value       = aws_lb.this.dns_name
}

output "alb_zone_id" {
  description = "Hosted zone of the load balancer's DNS name (for alias records)."
  value       = aws_lb.this.zone_id
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener environments add their host-header rules to."
  value       = aws_lb_listener.https.arn
}

output "security_group_id" {
  description = "Security group of the load balancer; environments' tasks take traffic from it."
  value       = aws_security_group.alb.id
}

output "vpc_id" {
  description = "The shared preview VPC the load balancer stands in (environments' target groups must be in it)."
  value       = local.vpc_id
}
