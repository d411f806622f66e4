output "endpoint" {
  description = "Connection endpoint, `host:port`."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Hostname of the instance."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the instance."
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the database."
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name (the password is only in the secret)."
  value       = local.username
}

# Known once the instance exists, so whatever injects the secret waits for the database.
output "secret_arn" {
  description = "ARN of the Secrets Manager secret RDS manages for the master user (JSON keys: username, password)."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.db.id
}

output "instance_identifier" {
  description = "Identifier of the RDS instance."
  value       = aws_db_instance.this.identifier
}
