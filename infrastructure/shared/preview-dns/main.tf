# The preview zone and a wildcard certificate for it. ACM certificates are regional: for
# environments in another region, apply this stack again there (with its own state key) and
# existing_zone_id set to the zone made by the first apply.

resource "aws_route53_zone" "preview" {
  # checkov:skip=CKV2_AWS_38: DNSSEC needs a KMS key in us-east-1 and a DS record at the parent zone, which idp does not own; preview hostnames carry no sensitive answers.
  # checkov:skip=CKV2_AWS_39: query logging needs a us-east-1 log group and resource policy per account; the load balancer access logs record who reached a preview.
  count = var.existing_zone_id == "" ? 1 : 0

  name    = var.preview_domain
  comment = "idp preview environments"
}

locals {
  zone_id = var.existing_zone_id == "" ? one(aws_route53_zone.preview[*].zone_id) : var.existing_zone_id
}

resource "aws_acm_certificate" "wildcard" {
  # checkov:skip=CKV2_AWS_71: one wildcard certificate covers every preview hostname; a certificate per environment would add minutes of DNS validation to each provision.
  domain_name               = "*.${var.preview_domain}"
  subject_alternative_names = [var.preview_domain]
  validation_method         = "DNS"

  options {
    certificate_transparency_logging_preference = "ENABLED"
  }

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_route53_record" "validation" {
  for_each = {
    for dvo in aws_acm_certificate.wildcard.domain_validation_options : dvo.domain_name => {
      name   = dvo.resource_record_name
      type   = dvo.resource_record_type
      record = dvo.resource_record_value
    }
  }

  zone_id         = local.zone_id
  name            = each.value.name
  type            = each.value.type
  records         = [each.value.record]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "wildcard" {
  certificate_arn         = aws_acm_certificate.wildcard.arn
  validation_record_fqdns = [for r in aws_route53_record.validation : r.fqdn]
}
