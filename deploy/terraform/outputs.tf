output "sns_topic_arn" {
  description = "Alert topic."
  value       = local.sns_topic_arn
}

output "lambda_function_arn" {
  description = "Tripline function."
  value       = aws_lambda_function.this.arn
}

output "lambda_function_name" {
  description = "Tripline function name."
  value       = aws_lambda_function.this.function_name
}

output "eventbridge_rule_arns" {
  description = "EventBridge rules routing CloudTrail events, by pattern name (empty when enable_eventbridge = false)."
  value       = { for k, r in aws_cloudwatch_event_rule.cloudtrail : k => r.arn }
}

output "eventbridge_fallback_rules" {
  description = "Rules no EventBridge pattern can filter for: they run on the log files (or on every event, with eventbridge_fallback_pattern)."
  value       = local.eventbridge_fallback_rules
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
  value       = local.kms_key_arn
}

output "log_group_name" {
  description = "Function log group."
  value       = aws_cloudwatch_log_group.lambda.name
}

output "lambda_role_arn" {
  description = "The function's IAM role."
  value       = aws_iam_role.lambda.arn
}

output "lambda_role_name" {
  description = "The function's IAM role name."
  value       = aws_iam_role.lambda.name
}

output "queue_arn" {
  description = "Ingestion queue ARN: point an existing bucket's s3:ObjectCreated notification here (null when enable_s3_ingestion = false)."
  value       = var.enable_s3_ingestion ? aws_sqs_queue.ingest[0].arn : null
}

output "dlq_arn" {
  description = "Dead-letter queue ARN (S3 notifications, EventBridge deliveries and asynchronous invocations that failed)."
  value       = local.create_dlq ? aws_sqs_queue.dlq[0].arn : null
}

output "trail_arn" {
  description = "CloudTrail trail ARN (null when enable_cloudtrail = false)."
  value       = var.enable_cloudtrail ? aws_cloudtrail.this[0].arn : null
}

output "trail_bucket_arn" {
  description = "ARN of the bucket holding the log files that are ingested."
  value       = local.trail_bucket_name == "" ? null : local.trail_bucket_arn
}

output "dynamodb_table_arn" {
  description = "Findings / dedup table ARN."
  value       = aws_dynamodb_table.findings.arn
}

output "kms_key_policy_json" {
  description = "The key policy this module gives its own key: with create_kms_key = false, your key's policy needs these statements."
  value       = data.aws_iam_policy_document.kms.json
}

output "trail_reader_policy_json" {
  description = "IAM policy for readers of the trail's log files (responders, Athena, `tripline scan s3://`, `aws cloudtrail validate-logs` with cloudtrail:ListPublicKeys)."
  value       = local.trail_bucket_name == "" ? null : data.aws_iam_policy_document.trail_reader[0].json
}

output "event_patterns" {
  description = "The compiled CloudTrail patterns deployed here, by name: pass to modules/event-forwarder to forward every region."
  value       = { for name, p in local.event_patterns : name => p.pattern }
}

output "event_pattern_states" {
  description = "Each deployed pattern's rule state (ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS for the read-only patterns when eventbridge_read_only_events): pass to modules/event-forwarder with event_patterns."
  value       = { for name, p in local.event_patterns : name => p.state }
}

output "event_bus_arn" {
  description = "This region's default event bus, the target of modules/event-forwarder."
  value       = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
}
