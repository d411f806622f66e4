locals {
  pull_through_cache = var.dockerhub_username != ""
}

resource "aws_ecr_repository" "preview" {
  # checkov:skip=CKV_AWS_51: tags are `{environment}-{short sha}`; re-running a pipeline for the same commit pushes the same tag again, which immutable tags would reject.
  name                 = var.repository_name
  image_tag_mutability = "MUTABLE"
  force_delete         = var.force_delete

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

# ECR lifecycle rules select images by tag prefix but count them per rule, not per prefix, and
# a rule per environment would mean rewriting the policy on every provision. So the policy only
# bounds the repository as a whole: untagged images go after a day, and the newest
# max_preview_images preview images are kept. Per-environment cleanup is idp's job: destroying
# an environment deletes every image tagged `{environment_name}-*`.
resource "aws_ecr_lifecycle_policy" "preview" {
  repository = aws_ecr_repository.preview.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Expire untagged images after 1 day"
        selection = {
          tagStatus   = "untagged"
          countType   = "sinceImagePushed"
          countUnit   = "days"
          countNumber = 1
        }
        action = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest ${var.max_preview_images} preview images"
        selection = {
          tagStatus     = "tagged"
          tagPrefixList = [var.preview_tag_prefix]
          countType     = "imageCountMoreThan"
          countNumber   = var.max_preview_images
        }
        action = { type = "expire" }
      },
    ]
  })
}

# Optional Docker Hub pull-through cache: `{account}.dkr.ecr.{region}.amazonaws.com/docker-hub/{image}`
# avoids Docker Hub's rate limits when many builds pull the same base images.

resource "aws_secretsmanager_secret" "dockerhub" {
  # checkov:skip=CKV_AWS_149: ECR pull-through cache reads the credential with the account's aws/secretsmanager key; a customer-managed key needs an extra key policy for ECR and adds nothing here.
  # checkov:skip=CKV2_AWS_57: a Docker Hub access token cannot be rotated by a Secrets Manager rotation function; rotate it on Docker Hub and re-apply.
  count = local.pull_through_cache ? 1 : 0

  # The name must start with `ecr-pullthroughcache/`.
  name                    = "ecr-pullthroughcache/docker-hub"
  description             = "Docker Hub credentials of the ECR pull-through cache"
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "dockerhub" {
  count = local.pull_through_cache ? 1 : 0

  secret_id = aws_secretsmanager_secret.dockerhub[0].id
  secret_string = jsonencode({
    username    = var.dockerhub_username
    accessToken = var.dockerhub_access_token
  })

  lifecycle {
    precondition {
      condition     = var.dockerhub_access_token != ""
      error_message = "dockerhub_username is set but dockerhub_access_token is empty: give both, or neither to turn the cache off."
    }
  }
}

resource "aws_ecr_pull_through_cache_rule" "dockerhub" {
  count = local.pull_through_cache ? 1 : 0

  ecr_repository_prefix = "docker-hub"
  upstream_registry_url = "registry-1.docker.io"
  credential_arn        = aws_secretsmanager_secret_version.dockerhub[0].arn
}
