output "endpoint" {
  description = "HTTPS URL of the site: `https://{environment_name}.{preview_domain}` with a certificate and domain, else the distribution's `*.cloudfront.net` name."
  value       = "https://${local.host_name != "" ? local.host_name : aws_cloudfront_distribution.site.domain_name}"
}

output "bucket_name" {
  description = "Bucket the deploy step uploads the site to (`site_dir` of the repository's config)."
  value       = aws_s3_bucket.site.bucket
}

output "distribution_id" {
  description = "ID of the CloudFront distribution; the deploy step invalidates its cache after an upload."
  value       = aws_cloudfront_distribution.site.id
}

output "alarm_names" {
  description = "Names of the environment's CloudWatch alarms (in us-east-1, where CloudFront's metrics are)."
  value       = [aws_cloudwatch_metric_alarm.errors_5xx.alarm_name]
}
