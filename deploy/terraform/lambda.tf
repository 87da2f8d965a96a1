# The function, its log group, its role and its (least-privilege) policy.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "lambda" {
  name                 = "${local.name}-lambda"
  description          = "Tripline function role"
  path                 = var.role_path
  permissions_boundary = var.role_permissions_boundary
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume.json
  tags                 = local.tags
}

# Exactly the calls the code makes. No wildcard action and no "*" resource (cloudtrail:LookupEvents, which has no
# resource-level permissions, is in the polling policy below, bounded by region).
data "aws_iam_policy_document" "lambda" {
  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}:*"]
  }

  statement {
    sid       = "PublishAlerts"
    actions   = ["sns:Publish"]
    resources = [local.sns_topic_arn]
  }

  # Only the calls the service makes (Sources/TriplineService/DynamoDBStores.swift).
  statement {
    sid = "FindingsStore"
    actions = [
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "dynamodb:UpdateItem",
    ]
    resources = [aws_dynamodb_table.findings.arn, "${aws_dynamodb_table.findings.arn}/index/*"]
  }

  # SNS encrypts with the key on the publisher's behalf; S3 decrypts trail objects with it.
  statement {
    sid       = "UseTriplineKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = compact([local.kms_key_arn, var.create_sns_topic ? "" : var.sns_topic_kms_key_arn])
  }

  # Failed asynchronous invocations (EventBridge rules, schedule, GuardDuty) go to the DLQ.
  dynamic "statement" {
    for_each = local.create_dlq ? [1] : []
    content {
      sid       = "AsyncFailuresToDeadLetterQueue"
      actions   = ["sqs:SendMessage"]
      resources = [local.dlq_arn]
    }
  }

  dynamic "statement" {
    for_each = local.read_trail_bucket ? [1] : []
    content {
      sid       = "ReadTrailLogFiles"
      actions   = ["s3:GetObject"]
      resources = ["${local.trail_bucket_arn}/${local.key_prefix_path}AWSLogs/*"]
    }
  }

  dynamic "statement" {
    for_each = local.read_trail_bucket && !var.enable_cloudtrail && var.existing_trail_kms_key_arn != "" ? [1] : []
    content {
      sid       = "DecryptExistingTrailLogs"
      actions   = ["kms:Decrypt"]
      resources = [var.existing_trail_kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = var.enable_s3_ingestion ? [1] : []
    content {
      sid = "ConsumeIngestQueue"
      actions = [
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:ReceiveMessage",
      ]
      resources = [aws_sqs_queue.ingest[0].arn]
    }
  }
}

# What the function reads outside this module's resources: CloudTrail LookupEvents in exactly the polled regions,
# and the tuning configuration (config_location): exactly that object or parameter, its key only through that
# service. A separate policy so it is known at plan time (Tests/DeployTests check it there).
locals {
  poll_regions   = length(var.poll_regions) > 0 ? distinct(var.poll_regions) : [local.region]
  config_s3      = startswith(var.config_location, "s3://") ? trimprefix(var.config_location, "s3://") : ""
  config_ssm     = startswith(var.config_location, "ssm:") ? trimprefix(var.config_location, "ssm:") : ""
  config_service = local.config_s3 != "" ? "s3" : (local.config_ssm != "" ? "ssm" : "")
  config_arn = (
    local.config_s3 != "" ? "arn:${local.partition}:s3:::${local.config_s3}" :
    local.config_ssm != "" ? "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${local.config_ssm}" : ""
  )
}

data "aws_iam_policy_document" "polling_and_configuration" {
  count = var.enable_polling || local.config_service != "" ? 1 : 0

  dynamic "statement" {
    for_each = var.enable_polling ? [1] : []
    content {
      sid       = "PollCloudTrail"
      actions   = ["cloudtrail:LookupEvents"]
      resources = ["*"] # LookupEvents has no resource-level permissions: the regions polled bound it.
      condition {
        test     = "StringEquals"
        variable = "aws:RequestedRegion"
        values   = local.poll_regions
      }
    }
  }

  dynamic "statement" {
    for_each = local.config_service != "" ? [1] : []
    content {
      sid       = "ReadConfiguration"
      actions   = [local.config_service == "s3" ? "s3:GetObject" : "ssm:GetParameter"]
      resources = [local.config_arn]
    }
  }

  dynamic "statement" {
    for_each = local.config_service != "" && var.config_kms_key_arn != "" ? [1] : []
    content {
      sid       = "DecryptConfiguration"
      actions   = ["kms:Decrypt"]
      resources = [var.config_kms_key_arn]
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["${local.config_service}.${local.region}.${local.dns_suffix}"]
      }
    }
  }
}

resource "aws_iam_role_policy" "polling_and_configuration" {
  count = var.enable_polling || local.config_service != "" ? 1 : 0

  name   = "${local.name}-polling-and-configuration"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.polling_and_configuration[0].json
}

resource "aws_iam_role_policy" "lambda" {
  name   = "${local.name}-lambda"
  role   = aws_iam_role.lambda.id
  policy = data.aws_iam_policy_document.lambda.json
}

resource "aws_cloudwatch_log_group" "lambda" {
  name              = local.log_group_name
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_lambda_function" "this" {
  function_name    = local.function_name
  description      = "Tripline CloudTrail detection (${var.environment})"
  role             = aws_iam_role.lambda.arn
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = [var.architecture]
  filename         = var.lambda_zip
  source_code_hash = filebase64sha256(var.lambda_zip)
  memory_size      = var.lambda_memory_mb
  timeout          = var.lambda_timeout_seconds

  reserved_concurrent_executions = var.reserved_concurrent_executions

  environment {
    # TRIPLINE_DESTINATION_<NAME>: the destinations of destinations.tf, one JSON object each.
    variables = merge(local.destination_environment, {
      ALERT_SNS_ARN             = local.sns_topic_arn
      DYNAMODB_TABLE            = aws_dynamodb_table.findings.name
      LOG_LEVEL                 = var.log_level
      TRIPLINE_MIN_SEVERITY     = var.min_severity
      TRIPLINE_LOOKBACK_MINUTES = tostring(var.lookback_minutes)
      TRIPLINE_ENVIRONMENT      = var.environment
      TRIPLINE_RETENTION_DAYS   = tostring(var.retention_days)
      TRIPLINE_POLL_REGIONS     = join(",", var.poll_regions)
      TRIPLINE_CONFIG           = var.config_location
    })
  }

  tags = local.tags

  # The log group must exist first so Lambda does not create one without retention; the policy must exist so
  # the first invocations can log.
  depends_on = [aws_cloudwatch_log_group.lambda, aws_iam_role_policy.lambda, aws_iam_role_policy.destinations, aws_iam_role_policy.polling_and_configuration]
}

# Asynchronous invocations (EventBridge rules, the schedule, GuardDuty) that still fail after Lambda's retries
# are kept in the DLQ -- with the original event -- for `tripline replay`; the DLQ alarm reports them.
resource "aws_lambda_function_event_invoke_config" "this" {
  count = local.create_dlq ? 1 : 0

  function_name                = aws_lambda_function.this.function_name
  maximum_retry_attempts       = var.async_maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = aws_sqs_queue.dlq[0].arn
    }
  }

  depends_on = [aws_iam_role_policy.lambda]
}
