# Alert topic (KMS-encrypted), optional e-mail subscription with an optional severity filter.

# Or the caller's topic (create_sns_topic = false, sns_topic_arn): its policy and subscriptions are theirs;
# alarms publish to it only if its policy lets cloudwatch.amazonaws.com.

locals {
  sns_topic_arn = var.create_sns_topic ? aws_sns_topic.alerts[0].arn : var.sns_topic_arn
}

resource "aws_sns_topic" "alerts" {
  count = var.create_sns_topic ? 1 : 0

  name              = "${local.name}-alerts"
  kms_master_key_id = local.kms_key_arn
  tags              = local.tags
}

check "sns_topic_given" {
  assert {
    condition     = var.create_sns_topic || can(regex("^arn:aws[a-z-]*:sns:", var.sns_topic_arn))
    error_message = "create_sns_topic = false needs sns_topic_arn."
  }
}

data "aws_iam_policy_document" "alerts" {
  count = var.create_sns_topic ? 1 : 0

  statement {
    sid    = "OwnerAccountManagesTopic"
    effect = "Allow"
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
    actions = [
      "sns:GetTopicAttributes",
      "sns:SetTopicAttributes",
      "sns:AddPermission",
      "sns:RemovePermission",
      "sns:DeleteTopic",
      "sns:Subscribe",
      "sns:ListSubscriptionsByTopic",
      "sns:Publish",
    ]
    resources = [local.sns_topic_arn]
  }

  dynamic "statement" {
    for_each = var.enable_alarms ? [1] : []
    content {
      sid    = "CloudWatchAlarms"
      effect = "Allow"
      principals {
        type        = "Service"
        identifiers = ["cloudwatch.amazonaws.com"]
      }
      actions   = ["sns:Publish"]
      resources = [local.sns_topic_arn]
      condition {
        test     = "ArnLike"
        variable = "aws:SourceArn"
        values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${local.name}-*"]
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
      actions   = ["sns:Publish"]
      resources = [local.sns_topic_arn]
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  count = var.create_sns_topic ? 1 : 0

  arn    = aws_sns_topic.alerts[0].arn
  policy = data.aws_iam_policy_document.alerts[0].json
}

locals {
  # Severities at or above alert_email_min_severity.
  email_severities = var.alert_email_min_severity == "" ? [] : slice(
    local.severities, index(local.severities, var.alert_email_min_severity), length(local.severities)
  )
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email != "" ? 1 : 0

  topic_arn = local.sns_topic_arn
  protocol  = "email"
  endpoint  = var.alert_email

  # Findings carry a `severity` message attribute; CloudWatch alarm notifications do not and must still arrive.
  filter_policy_scope = var.alert_email_min_severity == "" ? null : "MessageAttributes"
  filter_policy = var.alert_email_min_severity == "" ? null : jsonencode({
    "$or" = [
      { severity = local.email_severities },
      { severity = [{ exists = false }] },
    ]
  })
}
