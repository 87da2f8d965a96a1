# Alert topic (KMS-encrypted), optional e-mail subscription with an optional severity filter.

resource "aws_sns_topic" "alerts" {
  name              = "${local.name}-alerts"
  kms_master_key_id = aws_kms_key.this.arn
  tags              = local.tags
}

data "aws_iam_policy_document" "alerts" {
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
    resources = [aws_sns_topic.alerts.arn]
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
      resources = [aws_sns_topic.alerts.arn]
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
      resources = [aws_sns_topic.alerts.arn]
      condition {
        test     = "Bool"
        variable = "aws:SecureTransport"
        values   = ["false"]
      }
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.alerts.json
}

locals {
  # Severities at or above alert_email_min_severity.
  email_severities = var.alert_email_min_severity == "" ? [] : slice(
    local.severities, index(local.severities, var.alert_email_min_severity), length(local.severities)
  )
}

resource "aws_sns_topic_subscription" "email" {
  count = var.alert_email != "" ? 1 : 0

  topic_arn = aws_sns_topic.alerts.arn
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
