locals {
  name       = "idp-${var.environment_name}"
  identifier = "${local.name}-postgres"
  family     = "postgres${split(".", var.engine_version)[0]}"
  username   = "dbadmin"
  port       = 5432
}

# The master password is managed by RDS (`manage_master_user_password`): RDS generates it, keeps
# it in a Secrets Manager secret of its own (JSON keys `username` and `password`) encrypted with
# the account's aws/secretsmanager key, and deletes that secret with the instance. No password
# passes through OpenTofu or its state, and no provider but AWS is needed.

resource "aws_db_subnet_group" "this" {
  name        = "${local.name}-db"
  description = "Private subnets of the database of idp environment ${var.environment_name}"
  subnet_ids  = var.subnet_ids

  tags = merge(var.tags, { Name = "${local.name}-db" })
}

# No egress rules: the database answers connections and starts none.
resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "PostgreSQL of idp environment ${var.environment_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${local.name}-db" })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_app" {
  count = length(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the application"
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
  referenced_security_group_id = var.allowed_security_group_ids[count.index]

  tags = merge(var.tags, { Name = "${local.name}-db-from-app-${count.index + 1}" })
}

resource "aws_db_parameter_group" "this" {
  name        = "${local.name}-${local.family}"
  family      = local.family
  description = "PostgreSQL settings of idp environment ${var.environment_name}: TLS only, slow and DDL statements logged"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  tags = merge(var.tags, { Name = "${local.name}-${local.family}" })

  lifecycle {
    create_before_destroy = true
  }
}

# Created here (not by RDS on first write) so it has a retention and is deleted with the environment.
resource "aws_cloudwatch_log_group" "postgresql" {
  # checkov:skip=CKV_AWS_158: CloudWatch Logs encrypts at rest with its own key; a customer-managed KMS key per short-lived environment would outlive it (7-day minimum deletion wait) and cost more than the logs.
  # checkov:skip=CKV_AWS_338: retention follows the environment's TTL (days, not a year); previews are not a system of record.
  name              = "/aws/rds/instance/${local.identifier}/postgresql"
  retention_in_days = var.log_retention_days

  tags = merge(var.tags, { Name = "${local.identifier}-postgresql" })
}

resource "aws_db_instance" "this" {
  # checkov:skip=CKV_AWS_157: single-AZ on purpose: a preview database is disposable and Multi-AZ doubles its cost.
  # checkov:skip=CKV_AWS_293: previews are destroyed automatically when their TTL runs out; deletion protection would block that.
  # checkov:skip=CKV_AWS_118: enhanced monitoring needs a monitoring role and costs per instance; the PostgreSQL log export covers debugging a preview.
  # checkov:skip=CKV_AWS_353: Performance Insights is not worth its cost on a disposable db.t3.micro preview database.
  # checkov:skip=CKV_AWS_354: Performance Insights is off (see CKV_AWS_353), so there is nothing to encrypt with a customer-managed key.
  identifier     = local.identifier
  engine         = "postgres"
  engine_version = var.engine_version
  instance_class = var.instance_class

  allocated_storage = var.allocated_storage
  storage_type      = "gp3"
  storage_encrypted = true

  db_name                     = var.db_name
  username                    = local.username
  manage_master_user_password = true
  port                        = local.port

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  parameter_group_name   = aws_db_parameter_group.this.name
  publicly_accessible    = false
  multi_az               = false

  iam_database_authentication_enabled = true
  enabled_cloudwatch_logs_exports     = ["postgresql"]
  auto_minor_version_upgrade          = true
  apply_immediately                   = true

  backup_retention_period  = 1
  copy_tags_to_snapshot    = true
  delete_automated_backups = true
  skip_final_snapshot      = true
  deletion_protection      = false

  tags = merge(var.tags, { Name = local.identifier })

  depends_on = [aws_cloudwatch_log_group.postgresql]
}
