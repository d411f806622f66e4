output "zone_id" {
  description = "Hosted zone ID of the preview domain (idp's `route53_zone_id`)."
  value       = local.zone_id
}

output "name_servers" {
  description = "Name servers to delegate the preview domain to from its parent zone (empty when the zone already existed)."
  value       = flatten(aws_route53_zone.preview[*].name_servers)
}

output "certificate_arn" {
  description = "ARN of the validated wildcard certificate (idp's `acm_certificate_arn`)."
  value       = aws_acm_certificate_validation.wildcard.certificate_arn
}

output "preview_domain" {
  description = "The preview domain (idp's `preview_domain`)."
  value       = var.preview_domain
}
