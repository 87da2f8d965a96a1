output "sns_topic_arn" {
  description = "Alert topic."
  value       = aws_sns_topic.alerts.arn
}

output "lambda_function_arn" {
  description = "Tripline function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_name" {
  description = "Tripline function name."
  value       = aws_lambda_function.this.function_name
}

output "eventbridge_rule_arn" {
  description = "EventBridge rule forwarding CloudTrail events (null when enable_eventbridge = false)."
  value       = var.enable_eventbridge ? aws_cloudwatch_event_rule.cloudtrail[0].arn : null
}

output "polling_rule_arn" {
  description = "Scheduled polling rule (null when enable_polling = false)."
  value       = var.enable_polling ? aws_cloudwatch_event_rule.poll[0].arn : null
}

output "guardduty_rule_arn" {
  description = "GuardDuty findings rule (null when enable_guardduty_findings = false)."
  value       = var.enable_guardduty_findings ? aws_cloudwatch_event_rule.guardduty[0].arn : null
}

output "trail_name" {
  description = "CloudTrail trail (null when enable_cloudtrail = false)."
  value       = var.enable_cloudtrail ? aws_cloudtrail.this[0].name : null
}

output "trail_bucket_name" {
  description = "Bucket holding the CloudTrail log files that are ingested."
  value       = local.trail_bucket_name == "" ? null : local.trail_bucket_name
}

output "trail_log_prefix" {
  description = "Key prefix the S3 notification listens on."
  value       = local.read_trail_bucket ? local.s3_notification_prefix : null
}

output "dynamodb_table_name" {
  description = "Findings / dedup table."
  value       = aws_dynamodb_table.findings.name
}

output "queue_url" {
  description = "Ingestion queue (S3 notifications) URL (null when enable_s3_ingestion = false)."
  value       = var.enable_s3_ingestion ? aws_sqs_queue.ingest[0].url : null
}

output "dlq_url" {
  description = "Dead-letter queue URL."
  value       = local.create_dlq ? aws_sqs_queue.dlq[0].url : null
}

output "kms_key_arn" {
  description = "KMS key encrypting the trail logs and the alert topic."
  value       = aws_kms_key.this.arn
}

output "log_group_name" {
  description = "Function log group."
  value       = aws_cloudwatch_log_group.lambda.name
}
