output "vpc_id" {
  description = "ID of the shared preview VPC."
  value       = module.networking.vpc_id
}

output "vpc_cidr" {
  description = "CIDR block of the shared preview VPC (10.100.0.0/16)."
  value       = module.networking.vpc_cidr
}

output "public_subnet_ids" {
  description = "Public subnets (load balancers)."
  value       = module.networking.public_subnet_ids
}

output "private_subnet_ids" {
  description = "Private subnets (tasks, databases)."
  value       = module.networking.private_subnet_ids
}

output "name_prefix" {
  description = "Prefix of the stack's names (`{name_prefix}-vpc`, …)."
  value       = var.name_prefix
}
