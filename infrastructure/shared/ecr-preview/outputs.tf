output "repository_url" {
  description = "URL to push preview images to (idp's `ECR_REPO`)."
  value       = aws_ecr_repository.preview.repository_url
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.preview.name
}

output "pull_through_cache_prefix" {
  description = "Image prefix of the Docker Hub cache (`{registry}/docker-hub/{image}`), or null when it is off."
  value       = local.pull_through_cache ? "${split("/", aws_ecr_repository.preview.repository_url)[0]}/docker-hub" : null
}
