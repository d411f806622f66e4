output "state_bucket" {
  description = "Name of the state bucket (idp's `STATE_BUCKET`, `bucket` in backend.conf)."
  value       = aws_s3_bucket.state.id
}

output "lock_table" {
  description = "Name of the lock table (idp's `LOCK_TABLE`, `dynamodb_table` in backend.conf)."
  value       = aws_dynamodb_table.locks.name
}

output "backend_conf" {
  description = "Contents for infrastructure/backend.conf."
  value       = <<-EOT
    bucket         = "${aws_s3_bucket.state.id}"
    region         = "${var.aws_region}"
    dynamodb_table = "${aws_dynamodb_table.locks.name}"
    encrypt        = true
  EOT
}
