# The service's CloudWatch alarms: the share of requests its targets answer with a 5xx, and
# targets failing their health check. Everything about alarms is in this file (its variables and
# output too); the alarms read the load balancer and the target group only through the locals
# `load_balancer_arn_suffix` and `target_group_arn_suffix` (main.tf), which hold in both modes,
# the load balancer of its own and the shared one.
locals {
  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]
}

variable "alarm_topic_arn" {
  type        = string
  description = "SNS topic the environment's CloudWatch alarms notify (alarm and OK); empty: the alarms only change state."
  default     = ""
}

variable "alarm_5xx_rate_threshold" {
  type        = number
  description = "Percent of requests answered with a 5xx over 5 minutes above which the 5xx alarm fires."
  default     = 5

  validation {
    condition     = var.alarm_5xx_rate_threshold > 0 && var.alarm_5xx_rate_threshold <= 100
    error_message = "alarm_5xx_rate_threshold is a percentage: more than 0, at most 100."
  }
}

resource "aws_cloudwatch_metric_alarm" "target_5xx_rate" {
  alarm_name          = "idp-${var.environment_name}-5xx-rate"
  alarm_description   = "More than ${var.alarm_5xx_rate_threshold}% of the requests to idp environment ${var.environment_name} answered 5xx for 5 minutes."
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1
  threshold           = var.alarm_5xx_rate_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx answers (% of requests)"
    return_data = true
  }

  metric_query {
    id = "errors"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      stat        = "Sum"
      period      = 300

      dimensions = {
        LoadBalancer = local.load_balancer_arn_suffix
        TargetGroup  = local.target_group_arn_suffix
      }
    }
  }

  metric_query {
    id = "requests"

    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      stat        = "Sum"
      period      = 300

      dimensions = {
        LoadBalancer = local.load_balancer_arn_suffix
        TargetGroup  = local.target_group_arn_suffix
      }
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "idp-${var.environment_name}-unhealthy-targets"
  alarm_description   = "A target of idp environment ${var.environment_name} failed its health check for 5 minutes."
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    LoadBalancer = local.load_balancer_arn_suffix
    TargetGroup  = local.target_group_arn_suffix
  }

  tags = var.tags
}

output "alarm_names" {
  description = "Names of the service's CloudWatch alarms: the 5xx rate and the unhealthy targets."
  value       = [aws_cloudwatch_metric_alarm.target_5xx_rate.alarm_name, aws_cloudwatch_metric_alarm.unhealthy_targets.alarm_name]
}
