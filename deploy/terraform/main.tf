# Tripline: CloudTrail security monitoring on AWS.
#
# One Lambda function (custom runtime, `bootstrap`) receives CloudTrail activity three ways -- EventBridge
# (real time), S3 log files via SQS (complete), scheduled LookupEvents polling (fallback) -- plus GuardDuty
# findings, remembers findings in DynamoDB and alerts through SNS. Every part is switchable; see variables.tf.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name       = "${var.prefix}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  # Trail and its bucket.
  trail_name = "${local.name}-trail"
  # Built by hand (not aws_cloudtrail.this.arn) because the bucket policy must name the trail before it exists.
  trail_arn         = "arn:${local.partition}:cloudtrail:${local.region}:${local.account_id}:trail/${local.trail_name}"
  trail_bucket_name = var.enable_cloudtrail ? "${local.name}-cloudtrail-${local.account_id}" : var.existing_trail_bucket_name
  trail_bucket_arn  = "arn:${local.partition}:s3:::${local.trail_bucket_name}"
  key_prefix_path   = var.trail_s3_key_prefix == "" ? "" : "${var.trail_s3_key_prefix}/"
  # Log files live under AWSLogs/<acct>/CloudTrail/, digests under AWSLogs/<acct>/CloudTrail-Digest/: the trailing
  # slash keeps digests out of the notification.
  s3_notification_prefix = coalesce(var.s3_notification_prefix, "${local.key_prefix_path}AWSLogs/${local.account_id}/CloudTrail/")

  # The function reads trail objects only when it ingests from S3.
  read_trail_bucket = var.enable_s3_ingestion && local.trail_bucket_name != ""
  trail_kms_key_arn = var.enable_cloudtrail ? aws_kms_key.this.arn : var.existing_trail_kms_key_arn

  function_name  = local.name
  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  # Anything that invokes the function asynchronously or through SQS needs the dead-letter queue.
  create_dlq = var.enable_s3_ingestion || var.enable_eventbridge || var.enable_polling || var.enable_guardduty_findings

  event_pattern_file = coalesce(var.event_pattern_file, "${path.module}/../eventbridge-pattern.json")
  # Minified: EventBridge limits EventPattern to 4096 characters.
  event_pattern = jsonencode(jsondecode(file(local.event_pattern_file)))

  severities = ["info", "low", "medium", "high", "critical"]

  tags = merge(
    {
      Application = "tripline"
      Environment = var.environment
      ManagedBy   = "terraform"
    },
    var.tags,
  )
}

check "s3_ingestion_has_a_bucket" {
  assert {
    condition     = !var.enable_s3_ingestion || local.trail_bucket_name != ""
    error_message = "enable_s3_ingestion needs a bucket: enable_cloudtrail = true or existing_trail_bucket_name."
  }
}
