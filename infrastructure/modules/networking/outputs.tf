output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "public_subnet_ids" {
  description = "IDs of the two public subnets (load balancer, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "IDs of the two private subnets (tasks, databases)."
  value       = aws_subnet.private[*].id
}

output "nat_gateway_ids" {
  description = "IDs of the NAT gateways (one, or one per zone with high_availability)."
  value       = aws_nat_gateway.this[*].id
}

output "flow_log_group_name" {
  description = "Name of the flow log group, or null when flow logs are off."
  value       = one(aws_cloudwatch_log_group.flow_logs[*].name)
}
