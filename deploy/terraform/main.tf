# Tripline: CloudTrail security monitoring on AWS.
#
# One Lambda function (custom runtime, `bootstrap`) receives CloudTrail activity three ways -- EventBridge
# (real time), S3 log files via SQS (complete), scheduled LookupEvents polling (fallback) -- plus GuardDuty
# findings, remembers findings in DynamoDB and alerts through SNS. Every part is switchable; see variables.tf.

# Region, account and partition come from the provider the caller configured: ARNs, policy conditions and
# service endpoints can never contradict where the resources are created (aws, aws-us-gov, aws-cn).
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  name       = "${var.prefix}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  # amazonaws.com, or amazonaws.com.cn in China: service endpoints in kms:ViaService conditions.
  dns_suffix = data.aws_partition.current.dns_suffix

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
  trail_kms_key_arn = var.enable_cloudtrail ? local.kms_key_arn : var.existing_trail_kms_key_arn
  # The account that owns the trail bucket (and sends its notifications): this one, or a log-archive account.
  trail_bucket_account_id = var.enable_cloudtrail || var.existing_trail_bucket_account_id == "" ? local.account_id : var.existing_trail_bucket_account_id
  # Organisation trails: member accounts' log files are under AWSLogs/<org-id>/<account>/CloudTrail/. S3 prefix
  # filters cannot skip the account level, so the bucket this module creates announces objects through
  # EventBridge, whose wildcard keeps only .../CloudTrail/ (never CloudTrail-Digest/).
  org_log_wildcard   = "${local.key_prefix_path}AWSLogs/${var.organization_id}/*/CloudTrail/*.json.gz"
  s3_via_eventbridge = var.enable_cloudtrail && var.is_organization_trail && var.enable_s3_ingestion

  function_name  = local.name
  log_group_name = "/aws/lambda/${local.function_name}"
  log_group_arn  = "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${local.log_group_name}"

  # Anything that invokes the function asynchronously or through SQS needs the dead-letter queue.
  create_dlq = var.enable_s3_ingestion || var.enable_eventbridge || var.enable_polling || var.enable_guardduty_findings

  # Patterns compiled from the enabled rules by `tripline eventbridge-pattern` (minified strings, sent unchanged).
  event_patterns_file = coalesce(var.event_patterns_file, "${path.module}/../eventbridge-patterns.json")
  event_patterns_doc  = jsondecode(file(local.event_patterns_file))
  # The fallback pattern (every CloudTrail event, for rules no pattern can filter) is only needed when the log
  # files are not ingested: with S3 ingestion those rules run on the log files.
  route_fallback = coalesce(var.eventbridge_fallback_pattern, !var.enable_s3_ingestion)
  # Read-only calls (Describe*, Get*, List*) reach EventBridge only for rules opted in to them; the log files see
  # them anyway, so by default only a deployment without S3 ingestion opts in.
  receive_read_only_events = coalesce(var.eventbridge_read_only_events, !var.enable_s3_ingestion)
  event_patterns = {
    for p in local.event_patterns_doc.patterns : p.name => {
      pattern = p.pattern
      state   = try(p.readOnlyEvents, false) && local.receive_read_only_events ? "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" : "ENABLED"
    }
    if var.enable_eventbridge && (!p.fallback || local.route_fallback)
  }
  eventbridge_fallback_rules = [for f in local.event_patterns_doc.fallbacks : f.rule]

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

check "organization_trail_has_an_organization_id" {
  assert {
    condition     = !var.is_organization_trail || can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "is_organization_trail = true needs organization_id (o-xxxxxxxxxx): the bucket policy admits AWSLogs/<organization_id>/."
  }
}

check "s3_ingestion_has_a_bucket" {
  assert {
    condition     = !var.enable_s3_ingestion || local.trail_bucket_name != ""
    error_message = "enable_s3_ingestion needs a bucket: enable_cloudtrail = true or existing_trail_bucket_name."
  }
}
