locals {
  template = "static-site"

  # The seed's tags, on every resource through the provider's default_tags.
  tags = {
    "idp:managed"     = "true"
    "idp:environment" = var.environment_name
    "idp:template"    = local.template
    "idp:owner"       = var.owner
    "idp:created-at"  = var.created_at
    "idp:ttl"         = var.ttl
    "idp:expires-at"  = var.expires_at
    "cost-center"     = var.cost_center
  }

  name = "idp-${var.environment_name}"

  # The environment's own host name needs a certificate (CloudFront refuses an alias without
  # one); the DNS records need the zone as well.
  host_name     = var.preview_domain != "" && var.acm_certificate_arn != "" ? "${var.environment_name}.${var.preview_domain}" : ""
  create_record = local.host_name != "" && var.route53_zone_id != ""

  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]

  # AWS managed policies, referred to by their fixed ids: CachingOptimized and SecurityHeadersPolicy.
  caching_optimized_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  security_headers_policy_id  = "67f7725c-6f97-4210-82d7-5512b31e9d03"
}

data "aws_caller_identity" "current" {}

# --- The bucket: private, encrypted, owned by the account; only the distribution reads it.

resource "aws_s3_bucket" "site" {
  # checkov:skip=CKV_AWS_18: CloudFront is the only reader; its requests are what an access log would hold, and a preview's log bucket would outlive it.
  # checkov:skip=CKV_AWS_21: the content is the build output of a commit, uploaded again by every deploy; versions would only keep stale builds.
  # checkov:skip=CKV_AWS_144: a preview's build output does not need a second region.
  # checkov:skip=CKV_AWS_145: SSE-S3 (AES256) encrypts at rest; CloudFront's origin access control reads SSE-KMS objects only with an extra key policy, and a customer-managed key per preview outlives it (7-day minimum deletion wait).
  # checkov:skip=CKV2_AWS_61: the bucket lives as long as the environment; a lifecycle rule would expire content the site still serves.
  # checkov:skip=CKV2_AWS_62: nothing consumes events for uploaded files.
  bucket = "${local.name}-site-${data.aws_caller_identity.current.account_id}"

  # The uploaded site goes with the environment.
  force_destroy = true

  tags = { Name = "${local.name}-site" }
}

resource "aws_s3_bucket_public_access_block" "site" {
  bucket = aws_s3_bucket.site.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "site" {
  bucket = aws_s3_bucket.site.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

data "aws_iam_policy_document" "site" {
  statement {
    sid       = "ReadByThisDistributionOnly"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "AWS:SourceArn"
      values   = [aws_cloudfront_distribution.site.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.site.arn, "${aws_s3_bucket.site.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "site" {
  bucket = aws_s3_bucket.site.id
  policy = data.aws_iam_policy_document.site.json

  # The public access block first: a policy put before it could be refused as public.
  depends_on = [aws_s3_bucket_public_access_block.site]
}

# --- The distribution, reading the bucket through Origin Access Control (SigV4).

resource "aws_cloudfront_origin_access_control" "site" {
  name                              = "${local.name}-site"
  description                       = "idp environment ${var.environment_name}: CloudFront signs its requests to the site bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "site" {
  # checkov:skip=CKV_AWS_68: a WAF web ACL costs $5/month plus rules per preview; previews serve a build for review, not production traffic.
  # checkov:skip=CKV2_AWS_47: no WAF (see CKV_AWS_68), so no Log4j rule set.
  # checkov:skip=CKV_AWS_86: access logs would need a log bucket that outlives the preview; CloudWatch metrics and the 5xx alarm watch it.
  # checkov:skip=CKV_AWS_310: one origin, the environment's bucket; a failover origin would be a second copy of a preview.
  # checkov:skip=CKV_AWS_374: previews are reviewed from anywhere; geo restriction is a production concern.
  # checkov:skip=CKV2_AWS_42: without acm_certificate_arn the distribution serves its own *.cloudfront.net name with CloudFront's certificate; with it, the environment's certificate.
  # checkov:skip=CKV2_AWS_32: the AWS managed SecurityHeadersPolicy is attached by its fixed id (response_headers_policy_id), which checkov does not resolve to a policy.
  # checkov:skip=CKV_AWS_174: with the default *.cloudfront.net certificate CloudFront fixes the protocol floor itself; with acm_certificate_arn the minimum is TLSv1.2_2021.
  enabled             = true
  is_ipv6_enabled     = true
  comment             = "idp environment ${var.environment_name}"
  default_root_object = "index.html"
  price_class         = "PriceClass_100"
  aliases             = local.host_name == "" ? [] : [local.host_name]

  origin {
    domain_name              = aws_s3_bucket.site.bucket_regional_domain_name
    origin_id                = "site-bucket"
    origin_access_control_id = aws_cloudfront_origin_access_control.site.id
  }

  default_cache_behavior {
    target_origin_id           = "site-bucket"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    viewer_protocol_policy     = "redirect-to-https"
    compress                   = true
    cache_policy_id            = local.caching_optimized_policy_id
    response_headers_policy_id = local.security_headers_policy_id
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = var.acm_certificate_arn == ""
    acm_certificate_arn            = var.acm_certificate_arn == "" ? null : var.acm_certificate_arn
    ssl_support_method             = var.acm_certificate_arn == "" ? null : "sni-only"
    minimum_protocol_version       = var.acm_certificate_arn == "" ? "TLSv1" : "TLSv1.2_2021"
  }

  tags = { Name = "${local.name}-site" }
}

# --- The environment's host name, when the platform has a preview zone.

resource "aws_route53_record" "site" {
  for_each = local.create_record ? toset(["A", "AAAA"]) : toset([])

  zone_id = var.route53_zone_id
  name    = local.host_name
  type    = each.key

  alias {
    name                   = aws_cloudfront_distribution.site.domain_name
    zone_id                = aws_cloudfront_distribution.site.hosted_zone_id
    evaluate_target_health = false
  }
}

# --- The alarm: the share of requests answered with a 5xx.

resource "aws_cloudwatch_metric_alarm" "errors_5xx" {
  provider = aws.us_east_1

  alarm_name          = "${local.name}-site-5xx-rate"
  alarm_description   = "More than 5% of the requests to idp environment ${var.environment_name} answered 5xx for 5 minutes."
  namespace           = "AWS/CloudFront"
  metric_name         = "5xxErrorRate"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    DistributionId = aws_cloudfront_distribution.site.id
    Region         = "Global"
  }
}
