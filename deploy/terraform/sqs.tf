# S3 log files -> SQS -> Lambda, with a dead-letter queue shared by every asynchronous path.

locals {
  # Built by hand so the queues' inline policies can name their own queue.
  ingest_queue_name = "${local.name}-ingest"
  ingest_queue_arn  = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.ingest_queue_name}"
  dlq_name          = "${local.name}-dlq"
  dlq_arn           = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.dlq_name}"
}

resource "aws_sqs_queue" "dlq" {
  count = local.create_dlq ? 1 : 0

  name                      = local.dlq_name
  message_retention_seconds = 1209600 # 14 days, the maximum: time to look at what failed.
  sqs_managed_sse_enabled   = true
  # Inline (not aws_sqs_queue_policy): one attribute-propagation wait instead of two.
  policy = length(local.event_rule_keys) > 0 ? data.aws_iam_policy_document.dlq[0].json : null
  tags   = local.tags
}

resource "aws_sqs_queue" "ingest" {
  count = var.enable_s3_ingestion ? 1 : 0

  name = local.ingest_queue_name
  # AWS recommends at least 6x the function timeout for queues feeding Lambda.
  visibility_timeout_seconds = 6 * var.lambda_timeout_seconds
  message_retention_seconds  = 345600 # 4 days
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = true # SSE-SQS: works with S3 event notifications without a key grant.
  policy                     = data.aws_iam_policy_document.ingest_queue[0].json
  tags                       = local.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq[0].arn
    maxReceiveCount     = var.sqs_max_receive_count
  })
}

data "aws_iam_policy_document" "ingest_queue" {
  count = var.enable_s3_ingestion ? 1 : 0

  statement {
    sid    = "S3BucketNotifications"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.ingest_queue_arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.trail_bucket_arn]
    }
    # The bucket owner's account sends the notifications (a log-archive account for an existing bucket).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.trail_bucket_account_id]
    }
  }

  # Organisation trail: the bucket's ObjectCreated events arrive through the EventBridge rule below.
  dynamic "statement" {
    for_each = local.s3_via_eventbridge ? [1] : []
    content {
      sid    = "OrganizationLogFilesViaEventBridge"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
      actions   = ["sqs:SendMessage"]
      resources = [local.ingest_queue_arn]
      condition {
        test     = "ArnEquals"
        variable = "aws:SourceArn"
        values   = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.name}-org-log-files"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.require_tls ? [1] : []
    content {
      sid    = "DenyInsecureTransport"
      effect = "Deny"
      principals {
        type        = "*"
        identifiers = ["*"]
      }
      actions   = ["sqs:*"]
      resources = [local.ingest_queue_arn]
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }
}

# EventBridge delivers to the DLQ when it cannot invoke the function.
data "aws_iam_policy_document" "dlq" {
  count = local.create_dlq && length(local.event_rule_keys) > 0 ? 1 : 0

  statement {
    sid    = "EventBridgeDeadLetters"
    effect = "Allow"
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }
    actions   = ["sqs:SendMessage"]
    resources = [local.dlq_arn]
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = local.event_rule_arns
    }
  }
}

resource "aws_s3_bucket_notification" "trail" {
  # A bucket in another account gets its notification from the log-archive submodule, applied there.
  count  = local.read_trail_bucket && local.trail_bucket_account_id == local.account_id ? 1 : 0
  bucket = local.trail_bucket_name

  # This account's own log files (for an organisation trail: the management account's).
  queue {
    id            = "tripline-cloudtrail-logs"
    queue_arn     = aws_sqs_queue.ingest[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.s3_notification_prefix
    filter_suffix = ".json.gz"
  }

  # Member accounts' log files of an organisation trail: see the rule below.
  eventbridge = local.s3_via_eventbridge

  depends_on = [aws_sqs_queue.ingest, aws_s3_bucket.trail]
}

resource "aws_cloudwatch_event_rule" "org_log_files" {
  count = local.s3_via_eventbridge ? 1 : 0

  name        = "${local.name}-org-log-files"
  description = "Organisation trail log files (never digests) to the Tripline ingest queue."
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [local.trail_bucket_name] }
      object = { key = [{ wildcard = local.org_log_wildcard }] }
    }
  })
  tags = local.tags
}

resource "aws_cloudwatch_event_target" "org_log_files" {
  count = local.s3_via_eventbridge ? 1 : 0

  rule      = aws_cloudwatch_event_rule.org_log_files[0].name
  target_id = "tripline-ingest"
  arn       = aws_sqs_queue.ingest[0].arn
}

locals {
  # Reserved concurrency caps the function; the mapping must not poll beyond it, or throttled receives count
  # toward maxReceiveCount and healthy log files end in the DLQ.
  sqs_maximum_concurrency = var.sqs_maximum_concurrency != null ? var.sqs_maximum_concurrency : (
    var.reserved_concurrent_executions > 0 ? max(2, min(var.reserved_concurrent_executions, 1000)) : null
  )
}

resource "aws_lambda_event_source_mapping" "ingest" {
  count = var.enable_s3_ingestion ? 1 : 0

  event_source_arn                   = aws_sqs_queue.ingest[0].arn
  function_name                      = aws_lambda_function.this.arn
  batch_size                         = var.sqs_batch_size
  maximum_batching_window_in_seconds = 5
  function_response_types            = ["ReportBatchItemFailures"]

  dynamic "scaling_config" {
    for_each = local.sqs_maximum_concurrency != null ? [1] : []
    content {
      maximum_concurrency = local.sqs_maximum_concurrency
    }
  }

  depends_on = [aws_iam_role_policy.lambda]

  lifecycle {
    precondition {
      condition     = var.reserved_concurrent_executions <= 0 || try(local.sqs_maximum_concurrency <= max(2, var.reserved_concurrent_executions), true)
      error_message = "sqs_maximum_concurrency (${coalesce(local.sqs_maximum_concurrency, -1)}) exceeds reserved_concurrent_executions (${var.reserved_concurrent_executions}): the mapping would be throttled and move healthy messages to the DLQ."
    }
  }
}
