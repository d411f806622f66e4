output "endpoint" {
  description = "HTTPS URL of the API: `https://{environment_name}.{preview_domain}` with a custom domain, else the API's execute-api URL."
  value       = local.custom_domain ? "https://${local.host_name}" : aws_apigatewayv2_api.api.api_endpoint
}

output "function_name" {
  description = "Name of the Lambda function (`idp-{environment_name}-api`)."
  value       = aws_lambda_function.api.function_name
}

output "api_id" {
  description = "ID of the API Gateway HTTP API."
  value       = aws_apigatewayv2_api.api.id
}

output "log_group" {
  description = "CloudWatch log group of the function (`/aws/lambda/idp-{environment_name}-api`)."
  value       = aws_cloudwatch_log_group.function.name
}

output "alarm_names" {
  description = "Names of the environment's CloudWatch alarms: the function's errors and the API's 5xx answers."
  value       = [aws_cloudwatch_metric_alarm.function_errors.alarm_name, aws_cloudwatch_metric_alarm.api_5xx.alarm_name]
}
